/**
 * Every Korean string the lab client shows, in one place, so wording stays
 * consistent and a reviewer can read the whole UI voice at once.
 * Error texts always say what the reader can do next.
 */
import type { ErrorCode, SandboxPhase } from '../../lab-server/src/protocol.ts';

/** How the UI writes the interrupt key, everywhere (dock key bar, statuses, 예상 출력 notes). */
export const CTRL_C = 'Ctrl+C';
const CTRL_D = 'Ctrl+D';
const DETACH = 'Ctrl+P Ctrl+Q';

/** What a lesson expected of a snippet, in words (for ✗ results). */
function expectedText(expected: number | 'nonzero' | 'stopped'): string {
  if (expected === 0) return '성공';
  if (expected === 'nonzero') return '실패';
  if (expected === 'stopped') return `${CTRL_C}로 멈춤`;
  return `종료 코드 ${expected}`;
}

export const ko = {
  dock: {
    region: '실습 터미널',
    title: '터미널',
    terminalLabel: '실습 터미널. 샌드박스의 bash 셸입니다. F6 키로 터미널 밖으로 이동합니다.',
    resizeHandle: '터미널 높이 조절 (위·아래 화살표)',
    collapse: '접기',
    expand: '펼치기',
    close: '터미널 닫기',
    newSandbox: '새 샌드박스',
    newSandboxTitle: '지금 샌드박스를 버리고 빈 샌드박스로 새로 시작합니다',
    confirmNewSandbox: '지금 샌드박스를 버리고 새로 시작할까요?\n실행 중인 컨테이너, 이미지, 파일이 모두 사라집니다.',
    retry: '다시 연결',
    screenReader: '낭독',
    screenReaderTitle: '화면 낭독기 모드: 터미널 내용을 줄 단위로 탐색합니다 (켜면 일부 휴대폰 입력 방식이 동작하지 않을 수 있음)',
    keysToolbar: '특수 키',
    copied: '선택한 내용을 복사했습니다.',
    keys: {
      ctrlC: { label: CTRL_C, title: `실행 중인 명령 중단 (${CTRL_C})` },
      tab: { label: 'Tab', title: '자동 완성 (Tab)' },
      esc: { label: 'Esc', title: 'Esc' },
      up: { label: '↑', title: '이전 명령 (위 화살표)' },
      down: { label: '↓', title: '다음 명령 (아래 화살표)' },
      left: { label: '←', title: '왼쪽 화살표' },
      right: { label: '→', title: '오른쪽 화살표' },
      ctrlD: { label: CTRL_D, title: `입력 끝 (${CTRL_D})` },
      detach: { label: DETACH, title: '컨테이너에서 빠져나오기 (분리)' },
    },
  },

  status: {
    connecting: '실습 서버에 연결하는 중…',
    requestingSession: '실습 세션을 준비하는 중…',
    connected: '연결됨',
    reconnecting: (seconds: number) => `연결이 끊겼습니다. ${seconds}초 후 다시 연결합니다…`,
    retryIn: (seconds: number) => `${seconds}초 후 자동으로 다시 시도합니다.`,
    reconnectingNow: '다시 연결하는 중…',
    offline: '인터넷 연결이 끊겼습니다. 연결이 돌아오면 자동으로 다시 연결합니다.',
    lostOutput: (bytes: number) => `(연결이 끊긴 동안의 출력 중 ${formatBytes(bytes)}는 보관 기간이 지나 표시할 수 없습니다)`,
    newShell: '새 셸을 시작했습니다.',
    shellExited: (code: number | null) =>
      `셸이 종료되었습니다${code === null ? '' : ` (종료 코드 ${code})`}. 다음 실행이나 ‘다시 연결’로 새 셸을 엽니다.`,
  },

  /** Progress while the sandbox boots, one line per protocol phase. */
  phase: {
    queued: '샌드박스 차례를 기다리는 중…',
    creating: '샌드박스를 만드는 중…',
    starting: '샌드박스를 시작하는 중…',
    engine: '샌드박스 안의 Docker 엔진을 켜는 중…',
    shell: '셸을 여는 중…',
    ready: '샌드박스 준비 완료',
  } satisfies Record<SandboxPhase, string>,

  error: {
    unreachable: '실습 서버에 연결할 수 없습니다. 네트워크를 확인하고 ‘다시 연결’을 누르세요.',
    overCapacity: '실습 서버가 지금 가득 찼습니다(동시 사용자 수 한도). 조금 기다려 주세요.',
    sandboxFailed: '샌드박스를 시작하지 못했습니다. ‘새 샌드박스’를 눌러 다시 만들어 보세요.',
    sessionExpired: '실습 세션이 만료되었습니다. ‘새 샌드박스’를 눌러 새로 시작하세요. 이전 컨테이너와 파일은 남아 있지 않습니다.',
    rateLimited: '요청이 너무 많습니다. 조금 기다려 주세요.',
    forbiddenOrigin: '이 페이지 주소에서는 실습 서버를 쓸 수 없습니다. 운영자에게 실습 서버의 허용 주소 설정을 확인해 달라고 요청하세요.',
    replaced: '다른 탭이나 창에서 이 터미널을 열었습니다. 여기서 계속하려면 ‘다시 연결’을 누르세요.',
    idle: '오랫동안 입력이 없어 연결을 쉬고 있습니다. ‘다시 연결’이나 실행을 누르면 이어서 씁니다.',
    shuttingDown: '실습 서버가 다시 시작하는 중입니다.',
    protocol: '실습 서버와 주고받은 내용이 올바르지 않습니다. 페이지를 새로 고쳐 보세요.',
    internal: '실습 서버에서 오류가 났습니다.',
    cookiesBlocked: '실습 세션을 만들지 못했습니다. 이 사이트의 쿠키를 허용한 뒤 ‘다시 연결’을 누르세요.',
    endedByInstructor: '강사가 이 실습 세션을 끝냈습니다. 다시 실행을 누르면 새 샌드박스로 시작합니다.',
  },

  snippet: {
    queued: '대기 중… (앞의 명령이 끝나면 실행합니다)',
    running: '실행 중…',
    ok: '✓',
    okLabel: '성공 (종료 코드 0)',
    fail: (code: number) => `✗ 종료 코드 ${code}`,
    /** A failure the lesson asked for (exit=nonzero / exit=N): done. */
    expectedFailure: (code: number) => `✓ 예상대로 실패 (종료 코드 ${code})`,
    /** A long runner (timeout=N) the page stopped after its time: done. */
    stoppedByPage: `✓ 정해진 시간 뒤 ${CTRL_C}로 멈췄습니다 (끝나지 않는 명령)`,
    /** A long runner the reader stopped themselves: done. */
    stoppedByReader: `✓ ${CTRL_C}로 멈췄습니다 (끝나지 않는 명령)`,
    /** Not what the lesson expects: say what it expected. */
    unexpected: (code: number, expected: number | 'nonzero' | 'stopped') => `✗ 종료 코드 ${code} (예상: ${expectedText(expected)})`,
    sent: '보냈습니다 (종료 코드를 알 수 없음)',
    unreachable: '실습 서버에 연결할 수 없어 실행하지 못했습니다. 아래 터미널의 안내를 확인하세요.',
    notStarted: (reason: string) => `실행하지 못했습니다: ${reason}`,
    cancelled: '새 샌드박스를 시작해 실행을 취소했습니다.',
  },

  progress: (done: number, total: number) => `${done}/${total} 실행`,

  /** 도전 과제 확인 (src/lab-client/challenge.ts); the check's own message is shown under these. */
  challenge: {
    opening: '실습 터미널을 여는 중…',
    checking: '확인 중…',
    passed: '✓ 통과',
    passedLabel: '통과: 도전 과제를 해냈습니다',
    failed: '✗ 아직 통과하지 못했습니다',
    notChecked: '✗ 확인하지 못했습니다',
    /** A failing check that printed nothing. */
    noMessage: '검사가 무엇이 빠졌는지 알려 주지 않았습니다. 과제를 다시 읽어 보세요.',
    timedOut: '검사가 제한 시간 안에 끝나지 않았습니다. 샌드박스가 바쁘면 잠시 뒤 다시 확인하세요.',
    /** HTTP 404 unknown-challenge */
    unknown: '실습 서버에 이 도전 과제의 검사가 없습니다. 페이지를 새로 고친 뒤 다시 확인하세요.',
    /** HTTP 409 sandbox-not-ready */
    notReady: '샌드박스가 아직 준비 중입니다. 터미널에 프롬프트가 나오면 확인을 다시 누르세요.',
    /** HTTP 429 check-running */
    busy: '앞의 확인이 아직 진행 중입니다. 끝난 뒤 다시 누르세요.',
    /** HTTP 401, 404 no-session / session-expired */
    noSession: '실습 세션이 없거나 끝났습니다. 실행이나 ‘다시 연결’로 터미널을 연 뒤 확인을 다시 누르세요.',
    unreachable: '실습 서버에 연결할 수 없어 확인하지 못했습니다. 아래 터미널의 안내를 확인하세요.',
    failedRequest: (status: number) => `확인하지 못했습니다(HTTP ${status}). 잠시 뒤 다시 시도하세요.`,
  },

  /** Class mode (issue 13): the learner's dock (queue, notices, 도움 요청) and every class-mode HTTP error code. */
  classroom: {
    queued: (position: number, etaSeconds: number) =>
      `대기 순번 ${position}번 · 약 ${Math.max(1, Math.ceil(etaSeconds / 60))}분. 차례가 되면 자동으로 연결합니다.`,
    classOnly: '이 실습 서버는 수업 참가자만 쓸 수 있습니다. 강사에게 받은 참가 코드로 먼저 참가하세요.',
    notice: {
      'time-warning': '실습 시간',
      instructor: '강사 메시지',
      ended: '수업 종료',
    },
    help: '도움 요청',
    helpTitle: '강사에게 도움을 요청합니다',
    helpLabel: '무엇이 막혔나요? (선택, 한 줄)',
    helpSend: '보내기',
    helpCancel: '취소',
    helpSending: '보내는 중…',
    helpSent: '도움 요청을 보냈습니다. 강사가 곧 확인합니다.',
    helpFailed: (reason: string) => `도움 요청을 보내지 못했습니다: ${reason}`,
    /** HTTP error codes of the class routes (protocol.ts ErrorCode, class mode section). */
    errors: {
      'not-logged-in': '로그인이 필요합니다. 관리자 토큰으로 다시 로그인하세요.',
      'bad-token': '관리자 토큰이 맞지 않습니다. 서버 로그에 처음 한 번 표시된 토큰이나 LAB_ADMIN_TOKEN 값을 확인하세요.',
      'not-joined': '수업 참가자만 쓸 수 있습니다. 참가 페이지에서 먼저 참가하세요.',
      'not-found': '찾을 수 없습니다. 페이지를 새로 고쳐 보세요.',
      'no-such-class': '참가 코드가 맞지 않습니다. 강사에게 받은 코드를 다시 확인하세요.',
      'class-full': '이 수업의 자리가 모두 찼습니다. 강사에게 자리를 늘려 달라고 요청하세요.',
      'class-ended': '이 수업은 이미 끝났습니다. 강사에게 문의하세요.',
      'bad-name': '이름은 1~40자로 입력하세요(제어 문자는 쓸 수 없습니다).',
      'name-markup': '이름에는 <, > 기호를 쓸 수 없습니다.',
      'class-only': '이 실습 서버는 수업 참가자만 쓸 수 있습니다. 강사에게 받은 참가 코드로 먼저 참가하세요.',
      'rate-limited': '요청이 너무 많습니다. 1분쯤 기다린 뒤 다시 시도하세요.',
      'forbidden-origin': '이 페이지 주소에서는 실습 서버를 쓸 수 없습니다. 운영자에게 허용 주소 설정을 확인해 달라고 요청하세요.',
      'shutting-down': '실습 서버가 다시 시작하는 중입니다. 잠시 뒤 다시 시도하세요.',
      'over-capacity': '실습 서버가 지금 가득 찼습니다. 잠시 뒤 다시 시도하세요.',
      'bad-message': '입력한 값이 올바르지 않습니다. 각 칸을 확인하세요.',
      internal: '실습 서버에서 오류가 났습니다. 잠시 뒤 다시 시도하세요.',
    } as Partial<Record<ErrorCode, string>>,
    unreachable: '실습 서버에 연결할 수 없습니다. 네트워크를 확인하고 다시 시도하세요.',
    failedRequest: (status: number) => `요청이 실패했습니다(HTTP ${status}). 잠시 뒤 다시 시도하세요.`,
  },

  /**
   * Port preview (issue 11; src/lab-client/preview.ts, preview-panel.ts): the
   * 미리보기 control under a snippet that publishes a port, its panel, and the
   * dock's list of published ports. Every text that names a problem says what to do.
   */
  preview: {
    open: (port: number) => `미리보기 :${port}`,
    openTitle: (port: number) => `샌드박스의 ${port} 포트가 보여 주는 페이지를 이 아래에 엽니다`,
    region: (port: number) => `미리보기: 샌드박스의 ${port} 포트`,
    frameTitle: (port: number) => `샌드박스의 ${port} 포트가 보여 주는 페이지`,
    newTab: '새 탭에서 열기',
    newTabShort: '새 탭',
    newTabTitle: (port: number) => `샌드박스의 ${port} 포트 페이지를 새 탭에서 엽니다`,
    reload: '새로 고침',
    close: '닫기',
    opening: (port: number) => `${port} 포트를 여는 중…`,
    ready: (port: number) => `샌드박스의 ${port} 포트가 보여 주는 페이지입니다.`,
    waiting: (port: number) => `${port} 포트를 기다리는 중…`,
    notListening: (port: number) =>
      `${port} 포트에서 응답하는 프로그램이 없습니다. 컨테이너가 실행 중인지 docker ps로 확인하고, 멈췄다면 docker logs <이름>으로 까닭을 본 뒤 ‘새로 고침’을 누르세요.`,
    notPublished: (port: number) =>
      `${port} 포트를 공개한 컨테이너가 없습니다. docker ps의 PORTS 열을 확인하고, -p ${port}:80처럼 포트를 공개해 컨테이너를 실행한 뒤 ‘새로 고침’을 누르세요.`,
    noContainer:
      '실행 중인 컨테이너가 없습니다. docker ps -a로 컨테이너가 멈췄거나 지워졌는지 확인하고, 스니펫을 다시 실행한 뒤 ‘새로 고침’을 누르세요.',
    notReady: '샌드박스가 아직 준비 중입니다. 잠시 뒤 자동으로 다시 시도합니다…',
    notReadyGaveUp: '샌드박스가 아직 준비되지 않았습니다. 터미널에 프롬프트가 나오면 ‘새로 고침’을 누르세요.',
    noSession: '실습 세션이 없거나 끝났습니다. 실행이나 ‘다시 연결’로 터미널을 연 뒤 스니펫을 다시 실행하세요.',
    unreachable: '실습 서버에 연결할 수 없어 미리보기를 열지 못했습니다. 아래 터미널의 안내를 확인하세요.',
    failedRequest: (status: number) => `미리보기를 열지 못했습니다(HTTP ${status}). 잠시 뒤 ‘새로 고침’을 누르세요.`,
    /** The dock's 포트 button and list. */
    dockButton: '포트',
    dockButtonTitle: '샌드박스의 컨테이너가 공개한 포트 목록과 미리보기',
    dockRegion: '공개된 포트',
    listReload: '목록 새로 고침',
    listLoading: '공개된 포트를 읽는 중…',
    listEmpty: '공개된 포트가 없습니다. docker run -d -p 8080:80 nginx처럼 -p로 포트를 공개한 컨테이너가 여기에 나옵니다.',
    listCount: (n: number) => `공개된 포트 ${n}개`,
    listItem: (port: number, container: string, containerPort: number) => `:${port} → ${container} (${containerPort})`,
    notListeningShort: '응답 없음',
  },

  /** Notes under a snippet's recorded 예상 출력 (build time, src/snippets/expressive-code.ts). */
  recording: {
    summary: '예상 출력',
    empty: '(출력 없음)',
    interrupted: `실습 실행기가 정해진 시간 뒤 ${CTRL_C}로 멈춘 결과입니다.`,
    exit: (code: number) => `종료 코드 ${code}`,
    cutLines: (n: number) => `아래 ${n}줄 생략`,
    /** Under output of a snippet that names a lesson image: the text around the link to the start page's table. */
    standIn: { before: '실습용 대체 이미지에서 기록한 출력입니다 (', link: '시작 페이지의 표', after: ' 참고)' },
  },
} as const;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}바이트`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)}MB`;
}

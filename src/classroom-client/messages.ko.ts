/**
 * Every Korean string of the class pages (/instructor/ console, /join/), in
 * one place, as src/lab-client/messages.ko.ts is for the lesson pages (the
 * learner's dock strings for classes live there, beside the dock's own).
 * Error texts say what the reader can do next.
 */
import type { SnippetResult } from '../../lab-server/src/classroom/types.ts';

export const RESULT_MARK: Record<SnippetResult, string> = { ok: '✓', 'expected-fail': '예상대로 실패', fail: '✗' };

export const classKo = {
  join: {
    busy: '참가하는 중…',
    joined: (name: string, className: string) => `${name} 님, ‘${className}’ 수업에 참가했습니다.`,
    already: (name: string, className: string) => `이미 ‘${className}’ 수업에 ${name} 님으로 참가해 있습니다.`,
    endsAt: (time: string) => `수업은 ${time}에 끝납니다.`,
    submit: '참가하기',
    codeEmpty: '참가 코드를 입력하세요.',
  },

  console: {
    loginBusy: '로그인하는 중…',
    tokenEmpty: '관리자 토큰을 입력하세요.',
    loggedOut: '로그아웃했습니다.',
    noClasses: '아직 만든 수업이 없습니다. 아래에서 새 수업을 만드세요.',
    created: (name: string) => `‘${name}’ 수업을 만들었습니다.`,
    seatsBad: '자리 수는 1 이상의 정수로 입력하세요.',
    durationBad: '수업 시간(분)은 1 이상의 정수로 입력하세요.',
    nameEmpty: '수업 이름을 입력하세요.',
    nameBad: (max: number) => `수업 이름은 ${max}자까지, <, > 기호 없이 입력하세요.`,
    startBad: '시작 시간을 올바르게 입력하세요.',
    classMeta: (seats: number, start: string, end: string) => `자리 ${seats}개 · ${start} ~ ${end}`,
    ended: '끝난 수업',
    copied: '참가 링크를 복사했습니다.',
    copyFailed: '복사하지 못했습니다. 링크를 직접 선택해 복사하세요.',
    queue: (n: number) => (n === 0 ? '대기 중인 참가자 없음' : `대기 중인 참가자 ${n}명`),
    learners: (n: number, connected: number) => `참가자 ${n}명 (연결 ${connected}명)`,
    noLearners: '아직 참가한 사람이 없습니다. 참가 코드나 링크를 알려 주세요.',
    helpNone: '도움 요청이 없습니다.',
    helpCount: (n: number) => `도움 요청 ${n}건`,
    helpArrived: (name: string) => `도움 요청: ${name}`,
    helpNoText: '(내용 없음)',
    liveLost: '실시간 연결이 끊겼습니다. 다시 연결하는 중…',
    liveOk: '실시간',
    updatedAt: (time: string) => `${time} 기준`,
    confirmEndClass: (name: string) => `‘${name}’ 수업을 끝낼까요?\n모든 참가자의 샌드박스가 지워지고, 더는 참가할 수 없습니다.`,
    confirmEndLearner: (name: string) => `${name} 님의 실습 세션을 끝낼까요?`,
    confirmReset: (name: string) => `${name} 님의 샌드박스를 지우고 새로 만들까요?\n컨테이너와 파일이 모두 사라집니다.`,
    done: {
      start: '샌드박스를 미리 준비하기 시작했습니다.',
      end: '수업을 끝냈습니다.',
      message: '모든 참가자에게 메시지를 보냈습니다.',
      extend: '수업 시간을 10분 늘렸습니다.',
      reset: (name: string) => `${name} 님의 샌드박스를 새로 만들었습니다.`,
      endLearner: (name: string) => `${name} 님의 세션을 끝냈습니다.`,
      extendLearner: (name: string) => `${name} 님의 시간을 10분 늘렸습니다.`,
      clear: '도움 요청을 해결로 표시했습니다.',
    },
    state: {
      none: '세션 없음',
      queued: (n: number | null) => (n === null ? '대기 중' : `대기 ${n}번`),
      booting: '준비 중',
      ready: '준비됨',
    },
    connected: '연결됨',
    disconnected: '끊김',
    unknown: '–',
    mirrorTitle: (name: string) => `${name} 님의 터미널 (보기 전용)`,
    mirrorLoading: '터미널을 여는 중…',
    mirrorOpen: '보는 중: 입력은 보내지지 않습니다.',
    mirrorClosed: '미러 연결이 끊겼습니다.',
    mirrorRefused: '미러를 열 수 없습니다(로그인이 끝났거나 동시에 여는 미러가 너무 많습니다).',
  },

  /** Relative time, for 마지막 활동. */
  ago: (seconds: number) =>
    seconds < 10
      ? '방금'
      : seconds < 60
        ? `${seconds}초 전`
        : seconds < 3600
          ? `${Math.floor(seconds / 60)}분 전`
          : `${Math.floor(seconds / 3600)}시간 전`,
} as const;

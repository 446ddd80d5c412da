/**
 * Lines the lab itself writes into a reader's terminal (Korean, like the
 * rest of the UI). Dim or coloured and bracketed with [랩] so they are never
 * mistaken for the shell's own output.
 */
const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
/** 40 KB, 1.3 MB: whichever reads naturally. */
/** Text from elsewhere (the instructor) as one terminal line: no control characters, so no escape sequence gets through. */
const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').slice(0, 500);
const CLASS_NOTICE_LABEL = { 'time-warning': '시간 안내', instructor: '강사', ended: '수업 종료' } as const;

const size = (bytes: number) => (bytes < 1024 ** 2 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

export const NOTICE = {
  diskWarn: (used: number, limit: number) =>
    `\r\n\x1b[33m[랩] 디스크 사용량이 한도에 가깝습니다: ${gib(used)} / ${gib(limit)} GiB. ` +
    `필요 없는 이미지와 컨테이너를 지우세요: docker system prune -a\x1b[0m\r\n`,
  diskFull: (used: number, limit: number) =>
    `\r\n\x1b[31m[랩] 디스크 한도(${gib(limit)} GiB)를 넘어(${gib(used)} GiB) 샌드박스를 종료합니다. ` +
    `페이지를 새로 고치면 새 샌드박스가 시작됩니다.\x1b[0m\r\n`,
  /** Class mode: the dock's text and the terminal line say the same (seats.ts). */
  classTimeWarning: (minutes: number) => `실습 시간이 약 ${minutes}분 남았습니다. 필요하면 강사에게 연장을 요청하세요.`,
  classEndedText: '수업이 끝나 실습 세션을 닫습니다.',
  classNotice: (kind: keyof typeof CLASS_NOTICE_LABEL, text: string) => `\r\n\x1b[36m[랩 · ${CLASS_NOTICE_LABEL[kind]}] ${oneLine(text)}\x1b[0m\r\n`,
  outputSkipped: (bytes: number) => `\r\n\x1b[2m[랩] 중단 키를 눌러 아직 표시하지 못한 출력 ${size(bytes)}를 건너뛰었습니다.\x1b[0m\r\n`,
};

/**
 * The preview origin's own pages (Korean): what the reader sees in the
 * preview panel or tab when the preview cannot show the app. Served with the
 * same security headers as every preview response (addressing.ts). Pages for states
 * that usually pass by themselves (nothing listening yet, the sandbox still
 * booting, a slow first answer) reload themselves a bounded number of times
 * (the attempt count lives in the URL's fragment, which is never sent).
 */

export type PreviewProblem = 'not-found' | 'bad-request' | 'refused' | 'timeout' | 'booting' | 'too-large' | 'busy' | 'shutting-down';

interface PageText {
  status: number;
  title: string;
  body: string;
  /** Seconds before the page reloads itself; none: it stays. */
  retry?: number;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (text: string) => `<code>${escape(text)}</code>`;

function text(problem: PreviewProblem, port: number | undefined, detail: { timeoutS?: number; maxBody?: string }): PageText {
  const p = port === undefined ? '이' : `${port}`;
  switch (problem) {
    case 'not-found':
      return {
        status: 404,
        title: '미리보기를 찾을 수 없습니다',
        body: '이 주소는 이 브라우저의 실습 세션 것이 아니거나, 세션이 끝났거나, 이미 한 번 쓰인 주소입니다. 수업 페이지에서 미리보기를 다시 여세요.',
      };
    case 'bad-request':
      return { status: 400, title: '잘못된 요청입니다', body: '미리보기 주소의 형식이 올바르지 않습니다.' };
    case 'refused':
      return {
        status: 502,
        title: `${p} 포트에서 응답하는 프로그램이 없습니다`,
        body: `컨테이너가 실행 중인지 ${code('docker ps')}로 확인하고, ${code(`-p ${port ?? 'PORT'}:…`)}로 이 포트를 공개했는지 보세요. 컨테이너가 막 시작했다면 준비될 때까지 이 페이지가 저절로 다시 시도합니다.`,
        retry: 3,
      };
    case 'timeout':
      return {
        status: 504,
        title: `${p} 포트의 프로그램이 ${detail.timeoutS ?? ''}초 안에 응답하지 않았습니다`,
        body: `${code('docker logs <컨테이너>')}로 프로그램이 무엇을 하는지 확인하세요. 잠시 뒤 저절로 다시 시도합니다.`,
        retry: 5,
      };
    case 'booting':
      return { status: 503, title: '실습 환경을 준비하는 중입니다', body: '잠시 뒤 저절로 다시 시도합니다.', retry: 3 };
    case 'too-large':
      return { status: 413, title: '요청이 너무 큽니다', body: `미리보기로 보낼 수 있는 요청 본문은 ${detail.maxBody ?? ''}까지입니다.` };
    case 'busy':
      return { status: 503, title: '동시 연결이 너무 많습니다', body: '미리보기 탭이나 연결 몇 개를 닫고 다시 시도하세요.', retry: 5 };
    case 'shutting-down':
      return { status: 503, title: '실습 서버가 다시 시작하는 중입니다', body: '잠시 뒤 수업 페이지에서 다시 여세요.' };
  }
}

/** At most this many self-reloads (about two minutes of waiting), then the page stays and says so. */
export const MAX_RETRIES = 40;

/** The page for a problem: status and HTML (every interpolated value is ours: numbers and fixed text). */
export function problemPage(
  problem: PreviewProblem,
  port?: number,
  detail: { timeoutS?: number; maxBody?: string } = {},
): { status: number; html: string } {
  const t = text(problem, port, detail);
  const retry = t.retry
    ? `<p id="r">${t.retry}초 뒤 다시 시도합니다…</p><script>(function(){var m=/lab-retry=(\\d+)/.exec(location.hash),n=m?+m[1]:0,r=document.getElementById('r');` +
      `if(n>=${MAX_RETRIES}){r.textContent='여러 번 시도했지만 응답이 없습니다. 위 안내를 확인한 뒤 새로 고치세요.';return}` +
      `setTimeout(function(){location.replace(location.pathname+location.search+'#lab-retry='+(n+1));location.reload()},${t.retry * 1000})})()</script>`
    : '';
  const html =
    `<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${t.title}</title><style>body{font:16px/1.6 system-ui,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem;color:#222}` +
    `h1{font-size:1.25rem}code{background:#f2f2f2;padding:0 .25em;border-radius:3px}</style></head>` +
    `<body><h1>${t.title}</h1><p>${t.body}</p>${retry}</body></html>`;
  return { status: t.status, html };
}

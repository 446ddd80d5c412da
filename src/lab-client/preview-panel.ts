/**
 * Port preview in the page (issue 11): the "미리보기 :8080" controls that
 * appear under a snippet once it has run, the inline panel they open, and
 * the dock's list of the sandbox's published ports. The rules (requests,
 * waiting, texts) are preview.ts; this file is only DOM.
 *
 *   <div data-lab-snippet … data-lab-ports="8080">
 *     <figure> … <div class="lab-run"> 실행 · status ·
 *         <span class="lab-preview-controls"><button data-lab-preview-open="8080" aria-expanded aria-controls>미리보기 :8080</button></span>
 *     </div></figure>
 *     <section class="lab-preview" data-lab-preview="8080" data-state="loading|waiting|ready|message" aria-label="미리보기: …">
 *       bar: status (role=status, aria-live) · 새 탭에서 열기 (a, target=_blank rel="noopener noreferrer") · 새로 고침 · 닫기
 *       <iframe sandbox="allow-scripts allow-forms allow-popups allow-modals allow-same-origin allow-downloads" title=…>   (when ready)
 *     </section>
 *
 * Security: what the sandbox serves is untrusted. The preview origin is a
 * different origin from the lab (its own port or LAB_PREVIEW_ORIGIN), and
 * that is the boundary: the app cannot read this page's DOM or the lab's
 * HttpOnly cookies, and its requests to the lab carry its own Origin,
 * which the lab refuses. The iframe keeps a sandbox attribute for what it
 * still adds (no navigating this tab away, no plugins) and includes
 * allow-same-origin: that gives the app its OWN origin (cross-origin to
 * this page), so its same-origin Referer and the preview origin's owner
 * cookie go with its requests; without it every root-relative asset (a
 * WordPress stylesheet) was a 404 in Chromium. URLs come only from the
 * lab server's answer and only on the preview origin it names
 * (isPreviewUrl); text is set with textContent, never as HTML.
 *
 * Tickets are one-time, so the iframe and the 새 탭 link each hold their
 * own: the link asks for a new one right after it is used.
 */
import type { PublishedPort } from '../../lab-server/src/protocol.ts';
import { ko } from './messages.ko.ts';
import { declaredPorts, panelView, TICKET_REFRESH_MS, type ListAnswer, type OpenAnswer } from './preview.ts';

export interface PreviewDeps {
  open(port: number): Promise<OpenAnswer>;
  list(): Promise<ListAnswer>;
}

/** What the iframe may do: run the app's scripts, forms, popups, dialogs and downloads on its own origin; never navigate the lab's tab. */
export const FRAME_SANDBOX = 'allow-scripts allow-forms allow-popups allow-modals allow-same-origin allow-downloads';

let nextId = 0;
const uid = (prefix: string) => `${prefix}-${++nextId}`;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * "새 탭에서 열기": a plain link (noopener, noreferrer) that always holds an
 * unused, live ticket: a new one after each use, and before the server's
 * ticket lifetime runs out (TICKET_REFRESH_MS; a background tab's throttled
 * timer is made up for when the page is shown again or the link is pointed at).
 */
class TicketLink {
  readonly element: HTMLAnchorElement;
  private readonly port: number;
  private readonly deps: PreviewDeps;
  private generation = 0;
  private fetchedAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') this.refreshIfStale();
  };

  constructor(port: number, deps: PreviewDeps, text: string) {
    this.port = port;
    this.deps = deps;
    this.element = el('a', { class: 'lab-preview__tab', target: '_blank', rel: 'noopener noreferrer', title: ko.preview.newTabTitle(port) }, text);
    this.element.hidden = true;
    // The navigation has taken this ticket: fetch the next one (after the event, so the click keeps its href).
    const used = () => setTimeout(() => this.refresh(), 0);
    this.element.addEventListener('click', used);
    this.element.addEventListener('auxclick', used);
    this.element.addEventListener('pointerenter', () => this.refreshIfStale());
    this.element.addEventListener('focus', () => this.refreshIfStale());
  }

  refresh(): void {
    this.stop();
    const generation = this.generation;
    document.addEventListener('visibilitychange', this.onVisible);
    void this.deps.open(this.port).then((answer) => {
      if (generation !== this.generation || !this.element.isConnected) return;
      const usable = answer.kind === 'opened';
      this.element.hidden = !usable;
      if (usable) this.element.href = answer.url;
      else this.element.removeAttribute('href');
      this.fetchedAt = performance.now();
      this.timer = setTimeout(() => this.refresh(), TICKET_REFRESH_MS);
    });
  }

  private refreshIfStale(): void {
    if (this.timer !== null && performance.now() - this.fetchedAt >= TICKET_REFRESH_MS) this.refresh();
  }

  stop(): void {
    this.generation++;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    document.removeEventListener('visibilitychange', this.onVisible);
  }
}

/** The inline panel: state line, 새 탭 / 새로 고침 / 닫기, and the iframe once the port answers. */
export class PreviewPanel {
  readonly root: HTMLElement;
  readonly port: number;
  private readonly deps: PreviewDeps;
  private readonly status: HTMLElement;
  private readonly link: TicketLink;
  private readonly frameHost: HTMLElement;
  private readonly onClose: () => void;
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(port: number, deps: PreviewDeps, onClose: () => void) {
    this.port = port;
    this.deps = deps;
    this.onClose = onClose;
    this.root = el('section', {
      class: 'lab-preview',
      id: uid('lab-preview'),
      'aria-label': ko.preview.region(port),
      'data-lab-preview': String(port),
    });
    const bar = el('div', { class: 'lab-preview__bar' });
    const title = el('span', { class: 'lab-preview__title' }, `:${port}`);
    this.status = el('p', { class: 'lab-preview__status', role: 'status', 'aria-live': 'polite' });
    this.link = new TicketLink(port, deps, ko.preview.newTab);
    const reload = el('button', { type: 'button', 'data-lab-preview-reload': '' }, ko.preview.reload);
    const close = el('button', { type: 'button', 'data-lab-preview-close': '' }, ko.preview.close);
    const actions = el('div', { class: 'lab-preview__actions' });
    actions.append(this.link.element, reload, close);
    bar.append(title, this.status, actions);
    this.frameHost = el('div', { class: 'lab-preview__frame-host' });
    this.root.append(bar, this.frameHost);
    reload.addEventListener('click', () => this.start());
    close.addEventListener('click', () => this.close());
    this.root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && e.target instanceof HTMLElement && this.root.contains(e.target) && !(e.target instanceof HTMLIFrameElement)) {
        e.preventDefault();
        this.close();
      }
    });
  }

  /** (Re)starts: asks for the port, waits while it does not answer yet, shows the page. */
  start(): void {
    this.stopTimer();
    const generation = ++this.generation;
    const began = performance.now();
    this.setState('loading', ko.preview.opening(this.port));
    const ask = async (attempt: number): Promise<void> => {
      const answer = await this.deps.open(this.port);
      if (generation !== this.generation) return;
      const view = panelView(this.port, answer, attempt, performance.now() - began);
      if (view.kind === 'wait') {
        this.setState('waiting', view.message);
        this.timer = setTimeout(() => void ask(attempt + 1), view.delayMs);
      } else if (view.kind === 'frame') {
        this.setState('ready', view.message);
        this.showFrame(view.url);
        this.link.refresh();
      } else {
        this.setState('message', view.message);
      }
    };
    void ask(0);
  }

  close(): void {
    this.generation++;
    this.stopTimer();
    this.link.stop();
    this.root.remove();
    this.onClose();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private setState(state: 'loading' | 'waiting' | 'ready' | 'message', message: string): void {
    this.root.dataset.state = state;
    if (this.status.textContent !== message) this.status.textContent = message;
    if (state !== 'ready') {
      this.frameHost.replaceChildren();
      this.link.element.hidden = true;
      this.link.stop();
    }
  }

  private showFrame(url: string): void {
    const frame = el('iframe', {
      class: 'lab-preview__frame',
      sandbox: FRAME_SANDBOX,
      title: ko.preview.frameTitle(this.port),
      src: url,
    });
    this.frameHost.replaceChildren(frame);
  }
}

/** The 미리보기 buttons under snippets that publish ports, each toggling its panel. */
export class SnippetPreviews {
  private readonly deps: PreviewDeps;

  constructor(deps: PreviewDeps) {
    this.deps = deps;
  }

  /** A snippet has run (whatever its exit status): offer its declared ports. */
  snippetRan(snippet: HTMLElement): void {
    const ports = declaredPorts(snippet.dataset.labPorts);
    const bar = snippet.querySelector<HTMLElement>('.lab-run');
    if (ports.length === 0 || !bar || bar.querySelector('.lab-preview-controls')) return;
    const controls = el('span', { class: 'lab-preview-controls' });
    for (const port of ports) controls.append(this.button(snippet, port));
    bar.append(controls);
  }

  private button(snippet: HTMLElement, port: number): HTMLButtonElement {
    const button = el(
      'button',
      {
        type: 'button',
        class: 'lab-preview-open',
        'data-lab-preview-open': String(port),
        'aria-expanded': 'false',
        title: ko.preview.openTitle(port),
      },
      ko.preview.open(port),
    );
    let panel: PreviewPanel | null = null;
    button.addEventListener('click', () => {
      if (panel) return panel.close();
      panel = new PreviewPanel(port, this.deps, () => {
        panel = null;
        button.setAttribute('aria-expanded', 'false');
        button.removeAttribute('aria-controls');
        if (document.activeElement === document.body || !document.activeElement) button.focus();
      });
      button.setAttribute('aria-expanded', 'true');
      button.setAttribute('aria-controls', panel.root.id);
      const anchor = [...snippet.querySelectorAll<HTMLElement>(':scope > .lab-preview')].pop() ?? snippet.querySelector(':scope > figure');
      if (anchor) anchor.after(panel.root);
      else snippet.append(panel.root);
      panel.start();
    });
    return button;
  }
}

/** The dock's 포트 section: the sandbox's published ports, each with 미리보기 / 새 탭, and one panel. */
export class PortList {
  readonly root: HTMLElement;
  private readonly deps: PreviewDeps;
  private readonly status: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly panelHost: HTMLElement;
  private panel: PreviewPanel | null = null;
  private generation = 0;
  private shown = false;
  /** A panel opened in the dock: the dock makes room for it. */
  private readonly panelOpened: () => void;

  constructor(deps: PreviewDeps, panelOpened: () => void) {
    this.deps = deps;
    this.panelOpened = panelOpened;
    this.root = el('section', { class: 'lab-ports', id: 'lab-dock-ports', 'aria-label': ko.preview.dockRegion });
    const head = el('div', { class: 'lab-ports__head' });
    this.status = el('p', { class: 'lab-ports__status', role: 'status', 'aria-live': 'polite' });
    const reload = el('button', { type: 'button', 'data-lab-ports-reload': '' }, ko.preview.listReload);
    reload.addEventListener('click', () => this.load());
    head.append(this.status, reload);
    this.list = el('ul', { class: 'lab-ports__list' });
    this.panelHost = el('div', { class: 'lab-ports__panel' });
    this.root.append(head, this.list, this.panelHost);
  }

  /** Reads the list again (GET LAB_PREVIEW_PATH). */
  load(): void {
    this.shown = true;
    const generation = ++this.generation;
    this.status.textContent = ko.preview.listLoading;
    void this.deps.list().then((answer) => {
      if (generation !== this.generation) return;
      if (answer.kind === 'error') {
        this.status.textContent = answer.message;
        this.list.replaceChildren();
        return;
      }
      this.status.textContent = answer.ports.length === 0 ? ko.preview.listEmpty : ko.preview.listCount(answer.ports.length);
      this.list.replaceChildren(...answer.ports.map((p) => this.row(p)));
    });
  }

  /** Hidden: stop fetching tickets and close the panel. */
  hide(): void {
    this.shown = false;
    this.generation++;
    this.panel?.close();
  }

  /** A snippet has run: what the sandbox publishes may have changed (the open panel stays). */
  snippetRan(): void {
    if (this.shown) this.load();
  }

  private row(p: PublishedPort): HTMLLIElement {
    const item = el('li', { 'data-lab-port': String(p.port) });
    const label = el('span', { class: 'lab-ports__label' }, ko.preview.listItem(p.port, p.containerName, p.containerPort));
    item.append(label);
    if (!p.listening) item.append(el('span', { class: 'lab-ports__idle' }, ko.preview.notListeningShort));
    const open = el(
      'button',
      { type: 'button', 'data-lab-preview-open': String(p.port), 'aria-expanded': 'false', title: ko.preview.openTitle(p.port) },
      ko.preview.open(p.port),
    );
    open.addEventListener('click', () => this.openPanel(p.port, open));
    const tab = el(
      'button',
      { type: 'button', 'data-lab-preview-tab': String(p.port), title: ko.preview.newTabTitle(p.port) },
      ko.preview.newTabShort,
    );
    tab.addEventListener('click', () => this.openTab(p.port));
    item.append(open, tab);
    return item;
  }

  /**
   * 새 탭 from the list: the tab is opened at once (inside the click, so no
   * popup blocker stops it), cut off from this page (`opener = null`, as
   * rel=noopener does), and sent to a ticket asked for only now. Holding a
   * ticket per listed port would cost the sandbox a port listing each, at
   * every refresh of the list.
   */
  private openTab(port: number): void {
    const tab = window.open('', '_blank');
    if (tab) tab.opener = null;
    void this.deps.open(port).then((answer) => {
      if (answer.kind === 'opened' && tab) tab.location.replace(answer.url);
      else {
        tab?.close();
        if (answer.kind === 'error') this.status.textContent = answer.message;
      }
    });
  }

  private openPanel(port: number, opener: HTMLButtonElement): void {
    const same = this.panel?.port === port;
    this.panel?.close();
    if (same) return;
    const panel = new PreviewPanel(port, this.deps, () => {
      if (this.panel === panel) this.panel = null;
      opener.setAttribute('aria-expanded', 'false');
      opener.removeAttribute('aria-controls');
      if (document.activeElement === document.body || !document.activeElement) opener.focus();
    });
    this.panel = panel;
    opener.setAttribute('aria-expanded', 'true');
    opener.setAttribute('aria-controls', panel.root.id);
    this.panelHost.replaceChildren(panel.root);
    this.panelOpened();
    panel.start();
  }
}

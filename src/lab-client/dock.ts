/**
 * The terminal dock: a panel fixed to the bottom of the page holding the
 * terminal, a status line, actions and (on phones) a key bar. Resizable by
 * pointer or keyboard, collapsible; its mode and height live in
 * sessionStorage so the next page of the tab restores it.
 */
import { MIN_DOCK_HEIGHT, loadDockState, saveDockState, type DockMode, type DockState } from './dock-state.ts';
import { ko } from './messages.ko.ts';
import type { DockStatus } from './status.ts';
import { ClassLimits, type NoticeMessage } from '../../lab-server/src/protocol.ts';

export type KeyName = 'ctrl-c' | 'tab' | 'esc' | 'up' | 'down' | 'left' | 'right' | 'ctrl-d' | 'detach';

export interface DockHandlers {
  newSandbox(): void;
  retry(): void;
  key(name: KeyName): void;
  /** The dock became visible with a terminal area (fit it). */
  shown(): void;
  modeChanged(mode: DockMode): void;
  screenReader(on: boolean): void;
  /** The 포트 section was opened or closed (port preview: preview-panel.ts fills `portsHost`). */
  ports(open: boolean): void;
}

const KEYS: { name: KeyName; text: { label: string; title: string } }[] = [
  { name: 'ctrl-c', text: ko.dock.keys.ctrlC },
  { name: 'tab', text: ko.dock.keys.tab },
  { name: 'esc', text: ko.dock.keys.esc },
  { name: 'up', text: ko.dock.keys.up },
  { name: 'down', text: ko.dock.keys.down },
  { name: 'left', text: ko.dock.keys.left },
  { name: 'right', text: ko.dock.keys.right },
  { name: 'ctrl-d', text: ko.dock.keys.ctrlD },
  // Ctrl+P then Ctrl+Q: Docker's detach keys (docker attach, docker run -it).
  { name: 'detach', text: ko.dock.keys.detach },
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Dock {
  readonly root: HTMLElement;
  readonly terminalHost: HTMLElement;
  /** The 포트 section above the terminal (hidden until the 포트 button opens it). */
  readonly portsHost: HTMLElement;
  private state: DockState;
  private readonly handlers: DockHandlers;
  private readonly statusBox: HTMLElement;
  private readonly statusText: HTMLElement;
  private readonly progressBar: HTMLElement;
  private readonly toggleButton: HTMLButtonElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly newButton: HTMLButtonElement;
  private readonly handle: HTMLElement;
  private readonly announcer: HTMLElement;
  private readonly readerButton: HTMLButtonElement;
  private readonly helpButton: HTMLButtonElement;
  private readonly helpForm: HTMLFormElement;
  private readonly helpInput: HTMLInputElement;
  private readonly helpStatus: HTMLElement;
  private readonly noticeBox: HTMLElement;
  private sendHelp: ((text: string) => Promise<string | null>) | null = null;
  private readonly portsButton: HTMLButtonElement;

  constructor(handlers: DockHandlers, screenReaderOn = false) {
    this.handlers = handlers;
    this.state = loadDockState();

    this.root = el('section', { class: 'lab-dock', 'aria-label': ko.dock.region, 'data-mode': 'closed' });
    this.handle = el('div', {
      class: 'lab-dock__handle',
      role: 'separator',
      'aria-orientation': 'horizontal',
      'aria-label': ko.dock.resizeHandle,
      'aria-valuemin': String(MIN_DOCK_HEIGHT),
      tabindex: '0',
    });
    const bar = el('div', { class: 'lab-dock__bar' });
    const title = el('h2', { class: 'lab-dock__title' }, ko.dock.title);
    this.statusBox = el('div', { class: 'lab-dock__status', 'data-tone': 'neutral' });
    this.statusText = el('span', { class: 'lab-dock__text', role: 'status', 'aria-live': 'polite' });
    this.statusBox.append(el('span', { class: 'lab-dock__dot', 'aria-hidden': 'true' }), this.statusText);
    const actions = el('div', { class: 'lab-dock__actions' });
    this.retryButton = el('button', { type: 'button', 'data-action': 'retry', hidden: '' }, ko.dock.retry);
    this.newButton = el('button', { type: 'button', 'data-action': 'new-sandbox', title: ko.dock.newSandboxTitle }, ko.dock.newSandbox);
    this.toggleButton = el(
      'button',
      { type: 'button', 'data-action': 'toggle', 'aria-expanded': 'true', 'aria-controls': 'lab-dock-body' },
      ko.dock.collapse,
    );
    this.readerButton = el(
      'button',
      { type: 'button', 'data-action': 'screen-reader', 'aria-pressed': String(screenReaderOn), title: ko.dock.screenReaderTitle },
      ko.dock.screenReader,
    );
    this.portsButton = el(
      'button',
      { type: 'button', 'data-action': 'ports', 'aria-expanded': 'false', 'aria-controls': 'lab-dock-ports-host', title: ko.preview.dockButtonTitle },
      ko.preview.dockButton,
    );
    const closeButton = el('button', { type: 'button', 'data-action': 'close', 'aria-label': ko.dock.close, title: ko.dock.close }, '✕');
    // Class mode: shown only to class members (enableHelp).
    this.helpButton = el(
      'button',
      {
        type: 'button',
        'data-action': 'help',
        hidden: '',
        title: ko.classroom.helpTitle,
        'aria-expanded': 'false',
        'aria-controls': 'lab-dock-help',
      },
      ko.classroom.help,
    );
    actions.append(this.helpButton, this.retryButton, this.newButton, this.portsButton, this.readerButton, this.toggleButton, closeButton);
    this.progressBar = el('div', { class: 'lab-dock__progress', hidden: '', 'aria-hidden': 'true' });
    // Notices from the server (time warning, the instructor's message, class over): text only, announced politely.
    this.noticeBox = el('p', { class: 'lab-dock__notice', role: 'status', 'aria-live': 'polite', hidden: '' });
    this.helpForm = el('form', { class: 'lab-dock__help', id: 'lab-dock-help', hidden: '' });
    const helpLabel = el('label', { for: 'lab-dock-help-text' }, ko.classroom.helpLabel);
    this.helpInput = el('input', { id: 'lab-dock-help-text', type: 'text', maxlength: String(ClassLimits.helpMax), autocomplete: 'off' });
    const helpSend = el('button', { type: 'submit' }, ko.classroom.helpSend);
    const helpCancel = el('button', { type: 'button' }, ko.classroom.helpCancel);
    this.helpStatus = el('span', { class: 'lab-dock__help-status', role: 'status', 'aria-live': 'polite' });
    this.helpForm.append(helpLabel, this.helpInput, helpSend, helpCancel);
    bar.append(title, this.statusBox, actions, this.progressBar, this.noticeBox, this.helpForm, this.helpStatus);
    this.helpButton.addEventListener('click', () => this.toggleHelp(this.helpForm.hidden));
    helpCancel.addEventListener('click', () => this.toggleHelp(false));
    this.helpForm.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submitHelp(helpSend);
    });

    const body = el('div', { class: 'lab-dock__body', id: 'lab-dock-body' });
    this.terminalHost = el('div', { class: 'lab-dock__terminal' });
    this.portsHost = el('div', { class: 'lab-dock__ports', id: 'lab-dock-ports-host', hidden: '' });
    const keys = el('div', { class: 'lab-dock__keys', role: 'toolbar', 'aria-label': ko.dock.keysToolbar });
    for (const k of KEYS) {
      const b = el('button', { type: 'button', 'data-key': k.name, title: k.text.title, 'aria-label': k.text.title }, k.text.label);
      // Keep focus (and the phone's keyboard) in the terminal.
      b.addEventListener('pointerdown', (e) => e.preventDefault());
      b.addEventListener('click', () => handlers.key(k.name));
      keys.append(b);
    }
    body.append(this.portsHost, this.terminalHost, keys);
    this.announcer = el('div', { class: 'lab-dock__sr-only', 'aria-live': 'polite' });
    this.root.append(this.handle, bar, body, this.announcer);

    this.retryButton.addEventListener('click', () => handlers.retry());
    this.readerButton.addEventListener('click', () => {
      const on = this.readerButton.getAttribute('aria-pressed') !== 'true';
      this.readerButton.setAttribute('aria-pressed', String(on));
      handlers.screenReader(on);
    });
    this.portsButton.addEventListener('click', () => this.showPorts(this.portsHost.hidden));
    this.newButton.addEventListener('click', () => {
      if (window.confirm(ko.dock.confirmNewSandbox)) handlers.newSandbox();
    });
    this.toggleButton.addEventListener('click', () => this.setMode(this.state.mode === 'open' ? 'collapsed' : 'open'));
    closeButton.addEventListener('click', () => this.setMode('closed'));
    this.wireResize();
    window.addEventListener('resize', () => this.applyHeight());
    this.followVisualViewport();
  }

  /**
   * Phones: the on-screen keyboard shrinks only the visual viewport, so a
   * bottom-fixed dock would sit behind it. Lift the dock by the keyboard's
   * height and cap it to what remains visible.
   */
  private followVisualViewport(): void {
    const vv = window.visualViewport;
    if (!vv) return;
    const update = () => {
      const hidden = Math.max(0, window.innerHeight - vv.height - vv.offsetTop);
      this.root.style.bottom = hidden > 0 ? `${Math.round(hidden)}px` : '';
      this.root.style.maxHeight = hidden > 0 ? `${Math.round(vv.height)}px` : '';
    };
    vv.addEventListener('resize', update);
    vv.addEventListener('scroll', update);
  }

  mount(): void {
    if (!this.root.isConnected) document.body.append(this.root);
  }

  get mode(): DockMode {
    return this.state.mode;
  }

  /** Restores the saved mode (closed becomes open: the reader asked for the terminal). */
  restore(): void {
    this.setMode(this.state.mode === 'closed' ? 'open' : this.state.mode);
  }

  setMode(mode: DockMode): void {
    const wasVisible = this.state.mode === 'open';
    this.state.mode = mode;
    this.root.dataset.mode = mode;
    const open = mode === 'open';
    this.toggleButton.textContent = open ? ko.dock.collapse : ko.dock.expand;
    this.toggleButton.setAttribute('aria-expanded', String(open));
    this.applyHeight();
    saveDockState(this.state);
    this.handlers.modeChanged(mode);
    if (open && !wasVisible) requestAnimationFrame(() => this.handlers.shown());
  }

  setStatus(status: DockStatus): void {
    this.statusBox.dataset.tone = status.tone;
    if (this.statusText.textContent !== status.text) this.statusText.textContent = status.text;
    if (status.progress === undefined) {
      this.progressBar.hidden = true;
    } else {
      this.progressBar.hidden = false;
      this.progressBar.style.transform = `scaleX(${Math.max(0.03, Math.min(1, status.progress))})`;
    }
    this.retryButton.hidden = status.action !== 'retry';
    if (status.action === 'retry') this.retryButton.setAttribute('data-primary', '');
    if (status.action === 'new-sandbox') this.newButton.setAttribute('data-primary', '');
    else this.newButton.removeAttribute('data-primary');
  }

  /** Opens or closes the 포트 section (opening it opens the dock too). */
  showPorts(open: boolean): void {
    if (open && this.state.mode !== 'open') this.setMode('open');
    this.portsHost.hidden = !open;
    this.portsButton.setAttribute('aria-expanded', String(open));
    this.handlers.ports(open);
    requestAnimationFrame(() => this.handlers.shown());
  }

  /** Class mode: this reader is a class member; 도움 요청 sends its line with `send` (null = sent, else the Korean reason). */
  enableHelp(send: (text: string) => Promise<string | null>): void {
    this.sendHelp = send;
    this.helpButton.hidden = false;
  }

  private toggleHelp(open: boolean): void {
    this.helpForm.hidden = !open;
    this.helpButton.setAttribute('aria-expanded', String(open));
    if (open) {
      this.helpStatus.textContent = '';
      this.helpInput.focus();
    } else this.helpButton.focus();
  }

  private async submitHelp(button: HTMLButtonElement): Promise<void> {
    if (!this.sendHelp || button.disabled) return;
    button.disabled = true;
    this.helpStatus.textContent = ko.classroom.helpSending;
    const failure = await this.sendHelp(this.helpInput.value);
    button.disabled = false;
    if (failure === null) {
      this.helpInput.value = '';
      this.toggleHelp(false);
      this.helpStatus.textContent = ko.classroom.helpSent;
    } else this.helpStatus.textContent = ko.classroom.helpFailed(failure);
  }

  /** Class mode: a notice from the server, shown (as text) until the next one or until the reader closes the dock. */
  showNotice(notice: Pick<NoticeMessage, 'kind' | 'text'>): void {
    this.noticeBox.replaceChildren(el('strong', {}, `${ko.classroom.notice[notice.kind]}: `), document.createTextNode(notice.text));
    this.noticeBox.dataset.kind = notice.kind;
    this.noticeBox.hidden = false;
  }

  /** Grows the open dock to at least this height (a preview opened in it needs the room); never shrinks it. */
  growTo(height: number): void {
    if (this.state.mode === 'open' && this.state.height < height) this.setHeight(height);
  }

  /** Short message for screen readers only (e.g. "copied"). */
  announce(text: string): void {
    this.announcer.textContent = '';
    requestAnimationFrame(() => (this.announcer.textContent = text));
  }

  /** Moves focus from the terminal to the dock's controls (F6). */
  focusControls(): void {
    this.toggleButton.focus();
  }

  private maxHeight(): number {
    return Math.max(MIN_DOCK_HEIGHT, window.innerHeight - 48);
  }

  private applyHeight(): void {
    const height = Math.min(this.state.height, this.maxHeight());
    if (this.state.mode === 'open') this.root.style.height = `${height}px`;
    else this.root.style.removeProperty('height');
    this.handle.setAttribute('aria-valuemax', String(this.maxHeight()));
    this.handle.setAttribute('aria-valuenow', String(height));
    // Leave room under the page content so the last paragraph is not hidden.
    const space = this.state.mode === 'closed' ? 0 : this.root.getBoundingClientRect().height;
    document.documentElement.style.setProperty('--lab-dock-space', `${Math.round(space)}px`);
  }

  private setHeight(height: number): void {
    this.state.height = Math.round(Math.max(MIN_DOCK_HEIGHT, Math.min(height, this.maxHeight())));
    this.applyHeight();
    saveDockState(this.state);
  }

  private wireResize(): void {
    let dragging = false;
    this.handle.addEventListener('pointerdown', (e) => {
      dragging = true;
      this.handle.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    this.handle.addEventListener('pointermove', (e) => {
      if (dragging) this.setHeight(window.innerHeight - e.clientY);
    });
    const stop = () => (dragging = false);
    this.handle.addEventListener('pointerup', stop);
    this.handle.addEventListener('pointercancel', stop);
    this.handle.addEventListener('keydown', (e) => {
      const steps: Record<string, number> = { ArrowUp: 24, ArrowDown: -24, PageUp: 120, PageDown: -120 };
      if (e.key in steps) this.setHeight(this.state.height + steps[e.key]!);
      else if (e.key === 'Home') this.setHeight(MIN_DOCK_HEIGHT);
      else if (e.key === 'End') this.setHeight(this.maxHeight());
      else return;
      e.preventDefault();
    });
  }
}

/**
 * xterm.js setup: renderer, fit, theme from Starlight's colours, clipboard
 * keys, OSC 133 shell-integration marks, UTF-8 input.
 */
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { ko } from './messages.ko.ts';
import { TERMINAL_FONT_FAMILY } from './styles.ts';
import { parseMarkPayload, type Mark } from '../../lab-server/src/shell-marks.ts';

export interface TerminalHooks {
  /** Keyboard input, paste and on-screen keys, as UTF-8 bytes. */
  input(bytes: Uint8Array): void;
  mark(mark: Mark): void;
  /** bash's readline accepted an input line (it switched bracketed paste off). */
  lineAccepted(): void;
  resize(cols: number, rows: number): void;
  /** F6: move focus out of the terminal (it otherwise keeps Tab for completion). */
  leave(): void;
  notice(text: string): void;
}

export interface LabTerminal {
  readonly term: Terminal;
  /** Fits the grid to the container; no-op while hidden. */
  fit(): void;
  write(bytes: Uint8Array | string, done?: () => void): void;
  /** Pastes like the reader would (bracketed when bash enabled mode 2004). */
  paste(text: string): void;
  /** Sends a key sequence as if typed (on-screen keys). */
  key(name: 'ctrl-c' | 'ctrl-d' | 'detach' | 'tab' | 'esc' | 'up' | 'down' | 'left' | 'right'): void;
  renderer: 'webgl' | 'dom';
  /** Nothing typed after the last prompt (so there is nothing to clear before a paste). */
  inputLineEmpty(): boolean;
  setScreenReaderMode(on: boolean): void;
  /** The cell width and the advance `sample` gets in the terminal's font, in CSS px (tests). */
  fontMetrics(sample: string): { family: string; cellWidth: number; advance: number; loaded: boolean };
  dispose(): void;
}

const SCREEN_READER_KEY = 'lab-screen-reader';

export function screenReaderPreference(): boolean {
  try {
    return globalThis.localStorage?.getItem(SCREEN_READER_KEY) === 'on';
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

/** Resolves a CSS colour expression (e.g. a Starlight variable) to rgb() for xterm. */
function cssColor(probe: HTMLElement, expression: string): string {
  probe.style.color = expression;
  return getComputedStyle(probe).color;
}

/**
 * Terminal colours follow the page theme: Starlight swaps black/white in
 * light mode, so background = --sl-color-black and text = --sl-color-white
 * in both. ANSI colours get darker variants on light backgrounds, and
 * xterm's minimumContrastRatio keeps any remaining pair readable.
 */
function themeFor(host: HTMLElement): ITheme {
  const light = document.documentElement.dataset.theme === 'light';
  const probe = document.createElement('span');
  probe.style.display = 'none';
  host.append(probe);
  const c = (v: string) => cssColor(probe, v);
  const theme: ITheme = {
    background: c('var(--sl-color-black, #17181c)'),
    foreground: c('var(--sl-color-white, #fff)'),
    cursor: c('var(--sl-color-accent, #3b82f6)'),
    cursorAccent: c('var(--sl-color-black, #17181c)'),
    selectionBackground: light ? 'rgba(59, 90, 230, 0.25)' : 'rgba(120, 150, 255, 0.35)',
    ...(light
      ? {
          black: '#1e1e1e',
          red: '#b3261e',
          green: '#1b7a2e',
          yellow: '#8a6100',
          blue: '#1f5bd6',
          magenta: '#9c27b0',
          cyan: '#00796b',
          white: '#5f6368',
          brightBlack: '#5f6368',
          brightRed: '#d93025',
          brightGreen: '#188038',
          brightYellow: '#a36b00',
          brightBlue: '#1a73e8',
          brightMagenta: '#a142f4',
          brightCyan: '#007b83',
          brightWhite: '#202124',
        }
      : {}),
  };
  probe.remove();
  return theme;
}

function fontSize(): number {
  return window.matchMedia('(max-width: 40em)').matches ? 13 : 14;
}

export function createTerminal(host: HTMLElement, hooks: TerminalHooks): LabTerminal {
  const mono = getComputedStyle(document.documentElement).getPropertyValue('--__sl-font-mono').trim();
  // Nanum Gothic Coding first (styles.ts: Hangul exactly two cells wide), the site's monospace after it.
  const fontFamily = `"${TERMINAL_FONT_FAMILY}", ${mono || 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace'}`;
  const term = new Terminal({
    fontFamily,
    fontSize: fontSize(),
    lineHeight: 1.15,
    scrollback: 5000,
    cursorBlink: true,
    minimumContrastRatio: 4.5,
    // xterm's screenReaderMode ignores `insertText` input events (phone
    // keyboards, voice input, emoji pickers), so it is off by default and the
    // output reaches screen readers through our own live region below; the
    // dock's 낭독 toggle turns the full mode on for those who want to move
    // through the buffer line by line.
    screenReaderMode: screenReaderPreference(),
    theme: themeFor(host),
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  term.open(host);
  term.textarea?.setAttribute('aria-label', ko.dock.terminalLabel);

  const result: LabTerminal = {
    term,
    renderer: 'dom',
    fit,
    write: (bytes, done) => term.write(bytes, done),
    paste: (text) => term.paste(text),
    key,
    inputLineEmpty: () => {
      const b = term.buffer.active;
      if (!promptEnd || b.baseY + b.cursorY !== promptEnd.line || b.cursorX !== promptEnd.x) return false;
      return (b.getLine(promptEnd.line)?.translateToString(true, promptEnd.x) ?? '').trim() === '';
    },
    setScreenReaderMode: (on) => {
      term.options.screenReaderMode = on;
      try {
        localStorage.setItem(SCREEN_READER_KEY, on ? 'on' : 'off');
      } catch {
        // not persisted; the setting still applies to this page
      }
    },
    fontMetrics: (sample) => {
      const size = term.options.fontSize ?? fontSize();
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = `${size}px ${fontFamily}`;
      const screen = term.element?.querySelector('.xterm-screen')?.getBoundingClientRect().width ?? 0;
      return {
        family: fontFamily,
        cellWidth: term.cols > 0 ? screen / term.cols : 0,
        advance: context.measureText(sample).width,
        loaded: document.fonts?.check(`${size}px "${TERMINAL_FONT_FAMILY}"`, sample) ?? false,
      };
    },
    dispose: () => {
      document.fonts?.removeEventListener('loadingdone', onFontLoaded);
      themeObserver.disconnect();
      resizeObserver.disconnect();
      announcer.dispose();
      term.dispose();
    },
  };
  const announcer = announceOutput(term, host);

  // More Hangul blocks of the font arrive as output uses them: redraw with
  // them (the WebGL renderer caches glyphs drawn in the fallback font).
  const onFontLoaded = () => {
    term.clearTextureAtlas();
    term.refresh(0, term.rows - 1);
  };
  document.fonts?.addEventListener('loadingdone', onFontLoaded);

  void loadWebgl(term).then((ok) => {
    if (ok) result.renderer = 'webgl';
  });

  term.onData((data) => hooks.input(encoder.encode(data)));
  // onBinary carries byte-per-char strings (some mouse reports): not UTF-8.
  term.onBinary((data) => hooks.input(Uint8Array.from(data, (ch) => ch.charCodeAt(0) & 0xff)));
  term.onResize(({ cols, rows }) => hooks.resize(cols, rows));

  // Where the last prompt ended (B mark), to tell whether the reader has typed anything after it.
  let promptEnd: { line: number; x: number } | null = null;
  term.parser.registerOscHandler(133, (data) => {
    const mark = parseMarkPayload(data);
    if (mark?.kind === 'B') promptEnd = { line: term.buffer.active.baseY + term.buffer.active.cursorY, x: term.buffer.active.cursorX };
    if (mark) hooks.mark(mark);
    return true; // consumed: nothing to draw
  });
  // ESC[?2004l: readline hands the line to bash. Observed, not consumed.
  term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
    if (params.some((p) => p === 2004 || (Array.isArray(p) && p.includes(2004)))) hooks.lineAccepted();
    return false;
  });

  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown') return true;
    const ctrlShift = event.ctrlKey && event.shiftKey && !event.altKey && !event.metaKey;
    if (ctrlShift && event.code === 'KeyC') {
      // Ctrl+Shift+C copies (Ctrl+C stays the interrupt key, as in Linux terminals).
      event.preventDefault();
      const selection = term.getSelection();
      if (selection)
        void navigator.clipboard?.writeText(selection).then(
          () => hooks.notice(ko.dock.copied),
          () => {},
        );
      return false;
    }
    if (ctrlShift && event.code === 'KeyV') {
      // Let the browser fire its native paste event, which xterm turns into a
      // (bracketed) paste; no clipboard permission prompt needed.
      return false;
    }
    if (event.key === 'F6' && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      hooks.leave();
      return false;
    }
    return true;
  });

  const themeObserver = new MutationObserver(() => {
    term.options.theme = themeFor(host);
  });
  themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  let fitFrame = 0;
  const resizeObserver = new ResizeObserver(() => {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(fit);
  });
  resizeObserver.observe(host);

  function fit(): void {
    if (host.offsetParent === null || host.clientWidth === 0 || host.clientHeight === 0) return;
    const size = fontSize();
    if (term.options.fontSize !== size) term.options.fontSize = size;
    try {
      fitAddon.fit();
    } catch {
      // renderer not measured yet; the next resize fits
    }
  }

  function key(name: Parameters<LabTerminal['key']>[0]): void {
    // Arrow keys follow DECCKM like a real keyboard does (less, vim, readline).
    const app = term.modes.applicationCursorKeysMode;
    const arrow = (c: string) => (app ? `\x1bO${c}` : `\x1b[${c}`);
    const sequences = {
      'ctrl-c': '\x03',
      'ctrl-d': '\x04',
      detach: '\x10\x11', // Ctrl+P, Ctrl+Q: Docker's detach sequence
      tab: '\t',
      esc: '\x1b',
      up: arrow('A'),
      down: arrow('B'),
      right: arrow('C'),
      left: arrow('D'),
    } as const;
    hooks.input(encoder.encode(sequences[name]));
  }

  return result;
}

/**
 * The WebGL renderer is several times faster on floods; it is loaded on
 * demand and only where WebGL2 exists. Losing the GPU context (driver reset,
 * too many contexts) falls back to the DOM renderer instead of a blank terminal.
 */
async function loadWebgl(term: Terminal): Promise<boolean> {
  try {
    // Escape hatch for a GPU driver that renders badly: localStorage['lab-renderer'] = 'dom'.
    if (globalThis.localStorage?.getItem('lab-renderer') === 'dom') return false;
    const probe = document.createElement('canvas').getContext('webgl2');
    if (!probe) return false;
    // WebGL drawn by the CPU (SwiftShader, llvmpipe: no GPU, blocklisted
    // driver, VMs) is slower than the DOM renderer: measured 3.5x fewer
    // MB/s on 80-column floods in headless Chromium. Prefer DOM there.
    const info = probe.getExtension('WEBGL_debug_renderer_info');
    const gpu = String(probe.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : probe.RENDERER) ?? '');
    probe.getExtension('WEBGL_lose_context')?.loseContext();
    if (/swiftshader|llvmpipe|softpipe|software/i.test(gpu)) return false;
    const { WebglAddon } = await import('@xterm/addon-webgl');
    const addon = new WebglAddon();
    addon.onContextLoss(() => addon.dispose());
    term.loadAddon(addon);
    return true;
  } catch {
    return false;
  }
}

/**
 * A polite live region that reads new output lines aloud, at most once a
 * second and only the last few hundred characters, so a flood does not drown
 * the reader. Skipped in xterm's own screen-reader mode (it announces itself)
 * and on the alternate screen (full-screen programs redraw, not print).
 */
function announceOutput(term: Terminal, host: HTMLElement): { dispose(): void } {
  const live = document.createElement('div');
  live.className = 'lab-dock__sr-only';
  live.setAttribute('aria-live', 'polite');
  live.setAttribute('aria-atomic', 'true');
  host.after(live);
  const position = () => term.buffer.active.baseY + term.buffer.active.cursorY;
  let announced = position();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const announce = () => {
    timer = null;
    const buffer = term.buffer.active;
    const end = position();
    if (announced > end) announced = end; // scrollback was trimmed
    if (term.options.screenReaderMode || buffer.type === 'alternate' || end === announced) {
      announced = end;
      return;
    }
    const lines: string[] = [];
    for (let i = announced; i < end; i++) {
      const line = buffer.getLine(i)?.translateToString(true) ?? '';
      if (line.trim() !== '') lines.push(line);
    }
    announced = end;
    const text = lines.join('\n');
    if (text) live.textContent = text.length > 600 ? `…${text.slice(-600)}` : text;
  };
  const sub = term.onWriteParsed(() => {
    timer ??= setTimeout(announce, 1000);
  });
  return {
    dispose: () => {
      sub.dispose();
      if (timer !== null) clearTimeout(timer);
      live.remove();
    },
  };
}

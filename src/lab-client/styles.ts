/**
 * The lab's stylesheets, fetched with the terminal code (on the first 실행),
 * not on every page. Imported as plain CSS they would be hoisted by Astro into
 * every lesson's <head> as render-blocking links, for readers who never open
 * a terminal. As `?url` assets they are added only here; the lab waits for
 * them so xterm.js measures its cells with its own styles in place.
 */
import xtermCss from '@xterm/xterm/css/xterm.css?url';
import fontCss from '@fontsource/nanum-gothic-coding/400.css?url';
import dockCss from './dock.css?url';

/**
 * The terminal's font: Nanum Gothic Coding (SIL OFL; D2Coding is derived
 * from it), a monospace font whose Hangul syllables are exactly two Latin
 * cells wide, as xterm.js lays them out (wcwidth 2). Without it the
 * browser's fallback Hangul font is narrower than two cells and syllables
 * are drawn with gaps. Its @fontsource stylesheet splits the font into
 * woff2 files by unicode-range, so a page fetches only the Latin file and
 * the Hangul blocks its output actually uses, and only after 실행.
 */
export const TERMINAL_FONT_FAMILY = 'Nanum Gothic Coding';

let loaded: Promise<void> | undefined;

/**
 * Adds the stylesheets once (in this order: the dock's rules refine xterm's)
 * and loads the terminal font's Latin and first Hangul files, so xterm.js
 * measures its cells with the real font.
 */
export function loadLabStyles(): Promise<void> {
  loaded ??= Promise.all([xtermCss, fontCss, dockCss].map(addStylesheet))
    .then(() => document.fonts?.load(`14px "${TERMINAL_FONT_FAMILY}"`, 'W 가 한'))
    .then(
      () => undefined,
      () => undefined, // a terminal in a fallback font still works
    );
  return loaded;
}

function addStylesheet(href: string): Promise<void> {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  link.dataset.labStyles = '';
  return new Promise((resolve) => {
    link.addEventListener('load', () => resolve(), { once: true });
    // An unstyled terminal still works; the failed request is visible in the network log.
    link.addEventListener('error', () => resolve(), { once: true });
    document.head.append(link);
  });
}

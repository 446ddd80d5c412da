/**
 * The lab's stylesheets, fetched with the terminal code (on the first 실행),
 * not on every page. Imported as plain CSS they would be hoisted by Astro into
 * every lesson's <head> as render-blocking links, for readers who never open
 * a terminal. As `?url` assets they are added only here; the lab waits for
 * them so xterm.js measures its cells with its own styles in place.
 */
import xtermCss from '@xterm/xterm/css/xterm.css?url';
import dockCss from './dock.css?url';

let loaded: Promise<void> | undefined;

/** Adds the stylesheets once (in this order: the dock's rules refine xterm's). */
export function loadLabStyles(): Promise<void> {
  loaded ??= Promise.all([xtermCss, dockCss].map(addStylesheet)).then(() => undefined);
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

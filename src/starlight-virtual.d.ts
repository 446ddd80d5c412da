// Types for the two Starlight virtual modules that src/components/Search.astro
// (a copy of Starlight's own component) imports. Starlight 0.42 generates
// them in its Vite plugin (dist/integrations/vite-virtual-modules.js) but ships
// no declarations, so `astro check` could not see their shape.
declare module 'virtual:starlight/project-context' {
  const project: {
    build: { format: 'file' | 'directory' | 'preserve' };
    root: string;
    srcDir: string;
    trailingSlash: 'always' | 'never' | 'ignore';
  };
  export default project;
}

declare module 'virtual:starlight/pagefind-config' {
  /** Starlight's `pagefind` option as given in astro.config.mjs (false/absent: {}). */
  export const pagefindUserConfig: Record<string, unknown>;
}

/**
 * Frontmatter of the class-mode tool pages (/join/, /instructor/): a tool,
 * not a lesson, so out of the site's search (Pagefind), out of search
 * engines (robots noindex), no edit link, no table of contents. One home, so
 * a third tool page cannot forget one of them.
 */
export function toolPageFrontmatter(fields: { title: string; description?: string; template?: 'doc' | 'splash' }) {
  return {
    ...fields,
    pagefind: false,
    head: [{ tag: 'meta' as const, attrs: { name: 'robots', content: 'noindex' } }],
    editUrl: false as const,
    tableOfContents: false as const,
  };
}

/**
 * Markdown from the registry, rendered safely: raw HTML in the text is shown as text, links keep
 * only http(s), relative and anchor targets, and images load only from this server (the page's
 * Content Security Policy refuses anything else anyway).
 */
import { Marked, type Tokens } from "marked"

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

const safeHref = (href: string): string => (/^(https?:\/\/|\/(?!\/)|#|\.{0,2}\/|[\w-]+(\.[\w-]+)*(\/|$))/i.test(href) && !/^\s*(javascript|data|vbscript):/i.test(href) ? href : "#")

const marked = new Marked({
  async: false,
  gfm: true,
  renderer: {
    html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text)
  },
  walkTokens: (token) => {
    if (token.type === "link" || token.type === "image") (token as Tokens.Link | Tokens.Image).href = safeHref((token as Tokens.Link).href)
  }
})

/** Markdown text as sanitized HTML. */
export const renderMarkdown = (text: string): string => marked.parse(text, { async: false })

/** A markdown block. */
export const Markdown = (props: { readonly text: string }) => <div class="markdown card" dangerouslySetInnerHTML={{ __html: renderMarkdown(props.text) }} />

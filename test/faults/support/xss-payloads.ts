/**
 * Classic XSS payloads for test/faults/xss.test.ts. Each one, if it ever ran, would call the
 * page-exposed `__xss(id)` (or `top.__xss(id)` from a frame) or open an alert naming `xss-<id>`,
 * so an execution is seen and attributed. `visible` is what must show as text wherever the payload
 * is rendered, Markdown included (for most, the call itself).
 */
export interface XssPayload {
  id: number;
  name: string;
  text: string;
  visible: string;
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const RAW: [string, (id: number) => string, ((id: number) => string)?][] = [
  ["script tag", (id) => `<script>__xss(${id})</script>`],
  ["img onerror", (id) => `<img src=x onerror="__xss(${id})">`],
  ["svg onload", (id) => `<svg onload="__xss(${id})"></svg>`],
  ["iframe srcdoc", (id) => `<iframe srcdoc="<script>top.__xss(${id})</script>"></iframe>`],
  ["javascript: link in Markdown", (id) => `[click me](javascript:__xss(${id}))`],
  ["mixed-case javascript: link in Markdown", (id) => `[click me](JaVaScRiPt:top.__xss(${id}))`],
  ["entity-encoded javascript: link in Markdown", (id) => `[click me](javascript&colon;__xss(${id}))`],
  ["javascript: link as HTML", (id) => `<a href="javascript:__xss(${id})">link</a>`],
  ["javascript: image in Markdown", (id) => `![x](javascript:__xss(${id}))`],
  ["data: URL link (base64 HTML)", (id) => `[open](data:text/html;base64,${base64(`<script>top.__xss(${id})</script>`)})`, () => "data:text/html;base64,"],
  ["body onload", (id) => `<body onload="__xss(${id})">`],
  ["details ontoggle", (id) => `<details open ontoggle="__xss(${id})"><summary>x</summary></details>`],
  ["CSS url(javascript:)", (id) => `<div style="background:url('javascript:__xss(${id})')">css</div>`],
  ["CSS expression()", (id) => `<div style="width: expression(__xss(${id}))">css</div>`],
  ["mutation XSS (math/mglyph/style)", (id) => `<math><mtext><table><mglyph><style><img src=x onerror=__xss(${id})>`],
  ["attribute breakout", (id) => `"><script>__xss(${id})</script>`],
  ["JS string breakout", (id) => `';__xss(${id});//`],
  ["HTML entities", (id) => `&lt;img src=x onerror=__xss(${id})&gt; &#60;script&#62;__xss(${id})&#60;/script&#62;`],
  ["unicode-escaped JS", (id) => `\\u003cimg src=x onerror=__xss(${id})\\u003e`],
  ["URL-encoded", (id) => `%3Cscript%3E__xss(${id})%3C%2Fscript%3E`],
  ["fullwidth angle brackets", (id) => `＜script＞__xss(${id})＜/script＞`],
  ["object data javascript:", (id) => `<object data="javascript:__xss(${id})"></object>`],
  ["embed src javascript:", (id) => `<embed src="javascript:__xss(${id})">`],
  ["input autofocus onfocus", (id) => `<input autofocus onfocus="__xss(${id})">`],
  ["video source onerror", (id) => `<video><source onerror="__xss(${id})"></video>`],
  ["form action javascript:", (id) => `<form action="javascript:__xss(${id})"><button>go</button></form>`],
  ["meta refresh to javascript:", (id) => `<meta http-equiv="refresh" content="0;url=javascript:__xss(${id})">`],
  ["base href javascript:", (id) => `<base href="javascript:__xss(${id})//">`],
  ["Markdown autolink javascript:", (id) => `<javascript:__xss(${id})>`],
  ["Markdown link with a space before javascript:", (id) => `[x]( javascript:__xss(${id}))`],
  ["svg xlink:href javascript:", (id) => `<svg><a xlink:href="javascript:__xss(${id})"><text x="0" y="15">x</text></a></svg>`],
  ["template injection", (id) => `{{constructor.constructor('__xss(${id})')()}}`],
  ["alert() in onerror", (id) => `<img src=x onerror="alert('xss-${id}')">`, (id) => `alert('xss-${id}')`],
  ["bare javascript: URL", (id) => `javascript:__xss(${id})`],
  ["vbscript: link in Markdown", (id) => `[v](vbscript:__xss(${id}))`],
  ["Markdown reference link to javascript:", (id) => `[ref][r${id}]\n\n[r${id}]: javascript:__xss(${id})`],
  ["style tag @import", (id) => `<style>@import "javascript:__xss(${id})";</style>`],
  ["link stylesheet javascript:", (id) => `<link rel="stylesheet" href="javascript:__xss(${id})">`],
  ["event handler in Markdown HTML", (id) => `**bold** <b onmouseover="__xss(${id})">hover</b>`],
  ["img srcset onerror", (id) => `<img srcset="x" onerror="__xss(${id})">`],
];

export const XSS_PAYLOADS: XssPayload[] = RAW.map(([name, make, visible], index) => {
  const id = index + 1;
  return { id, name, text: make(id), visible: visible ? visible(id) : `xss(${id})` };
});

/** Payload texts joined by blank lines into parts of at most `max` characters (each payload whole). */
export function chunked(payloads: XssPayload[], max: number): XssPayload[][] {
  const parts: XssPayload[][] = [];
  let current: XssPayload[] = [];
  let length = 0;
  for (const payload of payloads) {
    if (payload.text.length > max) throw new Error(`payload ${payload.id} is longer than ${max}`);
    if (current.length > 0 && length + 2 + payload.text.length > max) {
      parts.push(current);
      current = [];
      length = 0;
    }
    length += (current.length > 0 ? 2 : 0) + payload.text.length;
    current.push(payload);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

export const joined = (payloads: XssPayload[]): string => payloads.map((payload) => payload.text).join("\n\n");

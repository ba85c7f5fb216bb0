// A browser for the sign-in and logout pages, driven with fetch: cookies kept,
// forms filled in and submitted with their hidden fields, redirects not followed
// (the test reads where they lead).

import assert from "node:assert/strict";

/** A cookie jar for the browser. */
export class Browser {
  cookies = new Map();

  async get(url) {
    return this.send(url, { method: "GET" });
  }

  async send(url, init) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair.indexOf("=");
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
    return response;
  }

  /** Fill in and submit the page's form (the hidden fields kept, as a browser does). */
  async submit(page, pageUrl, fields) {
    const html = await page.text();
    const form = html.match(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/);
    assert.ok(form, `no form on the page ${pageUrl}: ${html.slice(0, 500)}`);
    const body = new URLSearchParams();
    for (const [, name, value] of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      body.append(unescapeHtml(name), unescapeHtml(value));
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    const action = new URL(unescapeHtml(form[1]), pageUrl);
    return this.send(action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: action.origin },
      body,
    });
  }
}

function unescapeHtml(text) {
  return text
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

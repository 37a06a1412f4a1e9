import { request } from 'node:https';

export interface WebResponse {
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * What a browser does for a login across two sites, without drawing anything: cookies per host
 * (Path respected, Secure sent over https only, Max-Age=0 removes), redirects followed, forms
 * posted, trusting the given CAs only. For flows through real servers where a full browser adds
 * nothing to what is checked.
 */
export class WebSession {
  private readonly jar = new Map<string, Map<string, { value: string; path: string }>>();

  constructor(private readonly cas: string[]) {}

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name)?.value;
  }

  private cookieHeader(url: URL): string {
    const cookies = this.jar.get(url.host) ?? new Map();
    return [...cookies]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, setCookie: string | string[] | undefined): void {
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair, ...attrs] = line.split(';').map((p) => p.trim());
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const removed = attrs.some((a) => /^max-age=0$/i.test(a));
      if (!this.jar.has(url.host)) this.jar.set(url.host, new Map());
      if (removed) this.jar.get(url.host)!.delete(name);
      else this.jar.get(url.host)!.set(name, { value, path });
    }
  }

  /** One request, no redirect followed. */
  send(method: string, href: string, form?: Record<string, string>): Promise<WebResponse> {
    const url = new URL(href);
    const body = form ? new URLSearchParams(form).toString() : undefined;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.cas,
          headers: {
            cookie: this.cookieHeader(url),
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            this.store(url, res.headers['set-cookie']);
            resolve({ url: href, status: res.statusCode ?? 0, headers: res.headers, body: text });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Follows redirects (as a browser: a POST answered with 302/303 becomes a GET). */
  async go(method: string, href: string, form?: Record<string, string>): Promise<WebResponse> {
    let res = await this.send(method, href, form);
    for (let hops = 0; [301, 302, 303, 307].includes(res.status) && hops < 20; hops++) {
      const next = new URL(String(res.headers.location), res.url).href;
      res = await this.send('GET', next);
    }
    return res;
  }
}

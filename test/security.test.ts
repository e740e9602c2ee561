/**
 * What docs/security.md promises, checked over real HTTP, in Debian's Chromium and on real
 * processes: the security headers on every response (the page, the API, its errors and Socket.IO's
 * own responses), a Content-Security-Policy the built client runs under without a single violation,
 * tokens compared whole, and the access token printed only when it was generated.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectRedis } from "../platform/redis.js";
import { createAuthenticator } from "../server/auth.js";
import { keys as keyNames } from "../shared/keys.js";
import { E2E_TEST_TIMEOUT_MS, ensureClientForTests, launchBrowser, openApp, sendMessage, UI_TIMEOUT_MS, waitForTurn } from "./support/browser.js";
import { reportIfStillWaiting, TEST_TOKEN, startPlatform, type Platform } from "./support/harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

let platform: Platform;
let browser: Browser | undefined;
beforeAll(async () => {
  // The page is served only if it is built when the server starts.
  await ensureClientForTests();
  platform = await startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "5" } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

/** The CSP as a map from directive to its sources. */
function directives(csp: string | null): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  for (const part of (csp ?? "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) parsed.set(name, sources);
  }
  return parsed;
}

interface Violation {
  directive: string;
  blocked: string;
  sourceFile: string;
  line: number;
  column: number;
}

/** `dashboard`: the queue dashboard's policy (/admin/queues only), which allows inline styles and `data:` fonts. */
function expectSecurityHeaders(response: Response, what: string, page: "app" | "dashboard" = "app"): void {
  const { headers } = response;
  const csp = directives(headers.get("content-security-policy"));
  const host = new URL(platform.server.url).host;
  expect(csp.get("default-src"), what).toEqual(["'self'"]);
  expect(csp.get("script-src"), what).toEqual(["'self'"]);
  expect(csp.get("script-src-attr"), what).toEqual(["'none'"]);
  expect(csp.get("style-src"), what).toEqual(page === "dashboard" ? ["'self'", "'unsafe-inline'"] : ["'self'"]);
  expect(csp.get("font-src"), what).toEqual(page === "dashboard" ? ["'self'", "data:"] : ["'self'"]);
  expect(csp.get("object-src"), what).toEqual(["'none'"]);
  expect(csp.get("frame-ancestors"), what).toEqual(["'none'"]);
  expect(csp.get("connect-src"), what).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
  expect(csp.get("img-src"), what).toEqual(["'self'", "data:"]);
  expect(headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(headers.get("referrer-policy"), what).toBe("no-referrer");
  expect(headers.get("x-frame-options"), what).toBe("DENY");
  expect(headers.get("cross-origin-opener-policy"), what).toBe("same-origin");
  expect(headers.get("x-powered-by"), what).toBeNull();
}

describe("security headers", () => {
  it("are on the page, its assets, the API, API errors and Socket.IO's own responses", async () => {
    const url = platform.server.url;
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expectSecurityHeaders(page, "/");
    // The built page has no inline script for the policy to refuse: every script is a file of its own.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expectSecurityHeaders(await fetch(`${url}${asset}`), asset ?? "asset");
    expectSecurityHeaders(await fetch(`${url}/c/some-deep-link`), "a client route");

    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expectSecurityHeaders(health, "/api/health");
    const ready = await fetch(`${url}/api/ready`);
    expect(ready.status).toBe(200);
    expectSecurityHeaders(ready, "/api/ready");
    const admin = { authorization: `Bearer ${TEST_TOKEN}` };
    const metricsRefused = await fetch(`${url}/metrics`);
    expect(metricsRefused.status).toBe(401);
    expectSecurityHeaders(metricsRefused, "/metrics without a token");
    const metrics = await fetch(`${url}/metrics`, { headers: admin });
    expect(metrics.status).toBe(200);
    expectSecurityHeaders(metrics, "/metrics");
    // The queue dashboard: the same headers, its own policy there and nowhere else.
    const dashboardRefused = await fetch(`${url}/admin/queues`);
    expect(dashboardRefused.status).toBe(401);
    expectSecurityHeaders(dashboardRefused, "/admin/queues without a token", "dashboard");
    const dashboard = await fetch(`${url}/admin/queues`, { headers: admin });
    expect(dashboard.status).toBe(200);
    expectSecurityHeaders(dashboard, "/admin/queues", "dashboard");
    const dashboardScript = /src="(static\/js\/[^"]+\.js)"/.exec(await dashboard.text())?.[1];
    expect(dashboardScript).toBeDefined();
    expectSecurityHeaders(await fetch(`${url}/admin/queues/${dashboardScript}`, { headers: admin }), "a dashboard script", "dashboard");
    expectSecurityHeaders(await fetch(`${url}/admin/queues/api/queues`, { headers: admin }), "the dashboard's API", "dashboard");
    expectSecurityHeaders(await fetch(`${url}/admin/queuesque`), "a path that only starts like the dashboard's");

    const unauthorized = await fetch(`${url}/api/conversations`);
    expect(unauthorized.status).toBe(401);
    expectSecurityHeaders(unauthorized, "401");
    const notFound = await fetch(`${url}/api/nothing-here`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(notFound.status).toBe(404);
    expectSecurityHeaders(notFound, "404");
    const malformed = await fetch(`${url}/api/conversations`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      body: "{nope",
    });
    expect(malformed.status).toBe(400);
    expectSecurityHeaders(malformed, "400");

    // Socket.IO answers long-polling itself, outside Express.
    const polling = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(polling.status).toBe(200);
    expectSecurityHeaders(polling, "socket.io polling");
    // …and the WebSocket upgrade.
    const target = new URL(url);
    const upgrade = await new Promise<Response>((resolve, reject) => {
      const req = httpRequest({
        host: target.hostname,
        port: target.port,
        path: "/socket.io/?EIO=4&transport=websocket",
        headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
      });
      req.on("upgrade", (res, socket) => {
        socket.destroy();
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") headers.set(name, value);
        resolve(new Response(null, { status: 200, headers }));
      });
      req.on("response", (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on("error", reject);
      req.end();
    });
    expectSecurityHeaders(upgrade, "socket.io websocket upgrade");
  });

  it("names no WebSocket source for a Host header that is not a plain host", async () => {
    const request = httpRequest;
    const target = new URL(platform.server.url);
    const csp = await new Promise<string>((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, path: "/api/health", headers: { host: "evil.example; script-src *" } }, (res) => {
        res.resume();
        resolve(String(res.headers["content-security-policy"]));
      });
      req.on("error", reject);
      req.end();
    });
    expect(directives(csp).get("connect-src")).toEqual(["'self'"]);
    expect(directives(csp).get("script-src")).toEqual(["'self'"]);
  });

  // A browser starts here: slow on a loaded machine.
  it("let the built client run in Chromium without a single violation, its socket on WebSocket", { timeout: E2E_TEST_TIMEOUT_MS }, async () => {
    browser = await launchBrowser();
    const app = await openApp(browser, platform.server.url, {
      trackSockets: true,
      beforeOpen: async (context) => {
        await context.addInitScript(() => {
          const seen: Violation[] = [];
          (window as unknown as { __cspViolations: Violation[] }).__cspViolations = seen;
          document.addEventListener("securitypolicyviolation", (event) =>
            seen.push({
              directive: event.violatedDirective,
              blocked: event.blockedURI,
              sourceFile: event.sourceFile,
              line: event.lineNumber,
              column: event.columnNumber,
            }),
          );
        });
      },
    });
    const consoleErrors: string[] = [];
    app.page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    // Chat: a message, the streamed answer, the team graph and tool cards.
    const userEventId = await sendMessage(app.page, "What is 17.5% of 2,480?");
    const conversationId = /#\/c\/([A-Za-z0-9_-]+)$/.exec(app.page.url())?.[1] ?? "";
    await waitForTurn(platform.api, conversationId, userEventId);
    await app.page.locator('[data-testid="message"][data-agent="calculator"]').first().waitFor();
    // The workflows view draws graphs and meters with inline style properties.
    await app.page.goto(`${platform.server.url}/#/workflows/content-pipeline`);
    await app.page.getByTestId("workflow-start-form").waitFor();
    await app.page.locator('[data-testid="workflow-node"]').first().waitFor();

    const violations = await app.page.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);
    expect(violations).toEqual([]);
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
    expect(app.errors).toEqual([]);
    // The live connection upgraded to a WebSocket: connect-src lets it through.
    const open = await app.page.evaluate(() =>
      (window as unknown as { __e2eSockets: WebSocket[] }).__e2eSockets.filter((s) => s.readyState === WebSocket.OPEN).map((s) => s.url),
    );
    expect(open.some((socketUrl) => socketUrl.startsWith("ws://") && socketUrl.includes("/socket.io/"))).toBe(true);
    await app.context.close();
  });

  it("let the queue dashboard run in Chromium under its own policy, refusing only the web font it links", { timeout: E2E_TEST_TIMEOUT_MS }, async () => {
    browser ??= await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    await context.addInitScript(() => {
      const seen: Violation[] = [];
      (window as unknown as { __cspViolations: Violation[] }).__cspViolations = seen;
      document.addEventListener("securitypolicyviolation", (event) =>
        seen.push({ directive: event.violatedDirective, blocked: event.blockedURI, sourceFile: event.sourceFile, line: event.lineNumber, column: event.columnNumber }),
      );
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.stack ?? error.message));
    // The token once in the address: the server answers with a session cookie and the address without it.
    await page.goto(`${platform.server.url}/admin/queues?token=${TEST_TOKEN}`);
    expect(page.url()).toBe(`${platform.server.url}/admin/queues`);
    await page.getByText("manager", { exact: false }).first().waitFor();
    await page.getByText("_workflows", { exact: false }).first().waitFor();
    const violations = await page.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);
    // bull-board links Google's web fonts; they stay outside (the page falls back to system fonts).
    expect(violations.filter((violation) => !violation.blocked.startsWith("https://fonts.googleapis.com/"))).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("token comparison", () => {
  it("accepts each token whole and nothing else, whatever its length", () => {
    const admin = "admin-token-0123456789";
    const authenticate = createAuthenticator(admin, [{ user: "alice", token: "alice-token-0123456789-and-longer" }]);
    expect(authenticate(admin)).toEqual({ user: "local", admin: true });
    expect(authenticate("alice-token-0123456789-and-longer")).toEqual({ user: "alice", admin: false });
    for (const wrong of [
      undefined,
      "",
      admin.slice(0, -1),
      `${admin}x`,
      admin.toUpperCase(),
      "alice-token-0123456789",
      "a",
      "x".repeat(10_000),
      // Same number of UTF-16 units as the admin token, more bytes.
      "é".repeat(admin.length),
      `${admin}\u0000`,
    ]) {
      expect(authenticate(wrong), JSON.stringify(wrong?.slice(0, 40))).toBeUndefined();
    }
  });
});

// Each test starts a process (tsx compiles it first): slow on a loaded machine.
describe("the access token on the terminal", { timeout: 180_000 }, () => {
  /** Starts `script` on the test Redis with its own prefix and data folder; resolves with its first lines once it says it runs. */
  async function startupOutput(script: string, env: Record<string, string>, ready: RegExp): Promise<string> {
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-token-"));
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", REDIS_URL: inject("redisUrl"), SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: "warn", OFFLINE_MODEL_DELAY_MS: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      return await new Promise<string>((resolve, reject) => {
        let output = "";
        // A test that ends first says what it printed; rejecting lets `finally` stop it.
        const over = reportIfStillWaiting(`${script} to print ${ready}`, () => `it has printed:\n${output || "(nothing)"}`, reject);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (ready.test(output)) {
            over();
            resolve(output);
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.once("exit", (code) => {
          over();
          reject(new Error(`${script} exited (${code}):\n${output}`));
        });
      });
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const prefix = () => `tok${Math.random().toString(36).slice(2, 10)}`;
  const CONFIGURED = "operator-chosen-token-0123456789";

  it("npm start prints the URL without a token the operator configured", async () => {
    const output = await startupOutput("bin/switchboard.ts", { SWITCHBOARD_PREFIX: prefix(), SWITCHBOARD_TOKEN: CONFIGURED }, /Chat here:/);
    expect(output).not.toContain(CONFIGURED);
    expect(output).not.toContain("?token=");
    expect(output).toMatch(/Open: +http:\/\/127\.0\.0\.1:\d+\/\n/);
    expect(output).toMatch(/Access token: +the one configured in SWITCHBOARD_TOKEN/);
  });

  it("npm run start:server prints the URL without a token the operator configured", async () => {
    const output = await startupOutput("bin/server.ts", { SWITCHBOARD_PREFIX: prefix(), SWITCHBOARD_TOKEN: CONFIGURED }, /Switchboard server: .*\n/);
    expect(output).not.toContain(CONFIGURED);
    expect(output).toMatch(/Switchboard server: http:\/\/127\.0\.0\.1:\d+\/ \(access token: the one configured in SWITCHBOARD_TOKEN, not printed\)\n/);
  });

  it("a generated token is printed, since nobody knows it otherwise", async () => {
    const generated = prefix();
    const output = await startupOutput("bin/switchboard.ts", { SWITCHBOARD_PREFIX: generated, SWITCHBOARD_TOKEN: "" }, /Chat here:/);
    const redis = await connectRedis(inject("redisUrl"));
    const token = await redis.get(keyNames(generated).accessToken());
    await redis.quit();
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(output).toContain(`/?token=${token}\n`);
    expect(output).toMatch(new RegExp(`Access token: +${token}\\n`));
  });
});

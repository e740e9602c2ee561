/**
 * Where the page is, as the address hash says: a conversation (`#/c/<id>`), the workflows
 * (`#/workflows`), one workflow (`#/workflows/<name>`), or nowhere yet (the newest conversation
 * opens). Kept in the hash so reloads, links and the back button work.
 */
export type Route =
  | { kind: "none" }
  | { kind: "conversation"; conversationId: string }
  | { kind: "workflows"; workflow: string | undefined };

const CONVERSATION = /^#\/c\/([a-zA-Z0-9_-]{1,64})$/;
const WORKFLOWS = /^#\/workflows(?:\/([a-z][a-z0-9-]{1,47}))?\/?$/;

export function parseRoute(hash: string): Route {
  const conversation = CONVERSATION.exec(hash);
  if (conversation?.[1] !== undefined) return { kind: "conversation", conversationId: conversation[1] };
  const workflows = WORKFLOWS.exec(hash);
  if (workflows !== null) return { kind: "workflows", workflow: workflows[1] };
  return { kind: "none" };
}

export function routeHref(route: Route): string {
  switch (route.kind) {
    case "none":
      return "";
    case "conversation":
      return `#/c/${route.conversationId}`;
    case "workflows":
      return route.workflow === undefined ? "#/workflows" : `#/workflows/${route.workflow}`;
  }
}

export function sameRoute(a: Route, b: Route): boolean {
  return routeHref(a) === routeHref(b);
}

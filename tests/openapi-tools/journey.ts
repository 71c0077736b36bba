// A script's credential journey through Agora's JSON API, typed only by
// what openapi-typescript generated from the served document (schema.d.ts,
// next to this file when tests/openapi_tools.rs compiles it). A change of
// the document that breaks a client breaks this file's type-check; an answer
// that differs from the document's promise fails its checks when it runs.
//
// The test seeds a consumer team subscribed to a product whose resource
// approves access automatically, and passes the ids in the environment.

import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

// Node's own types are not installed: the journey needs only these.
declare const process: {
  env: Record<string, string | undefined>;
  exitCode?: number;
};

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set: tests/openapi_tools.rs passes it`);
  }
  return value;
}

function check(ok: boolean, what: string, answer: unknown): void {
  if (!ok) {
    throw new Error(`${what}; the answer was ${JSON.stringify(answer)}`);
  }
}

const team = env("AGORA_TEAM");
const client = createClient<paths>({
  baseUrl: env("AGORA_BASE_URL"),
  headers: { Authorization: `Bearer ${env("AGORA_TOKEN")}` },
});

// Create an application.
const made = await client.POST("/api/v1/teams/{team}/applications", {
  params: { path: { team } },
  body: { name: "Typed journey", description: "Made by the generated client" },
});
check(made.response.status === 201, "an application is created (201)", made.error);
const application = made.data;
check(application !== undefined, "the new application is in the answer", made.error);
if (application === undefined) throw new Error("unreachable");
check(application.name === "Typed journey", "the application keeps its name", application);
check(application.team === team, "the application belongs to the team", application);

// Request access for it to the seeded resource, through the team's subscription.
const requested = await client.POST("/api/v1/teams/{team}/access-requests", {
  params: { path: { team } },
  body: {
    product: env("AGORA_PRODUCT"),
    resource: env("AGORA_RESOURCE"),
    application: application.id,
    subscription: env("AGORA_SUBSCRIPTION"),
  },
});
check(requested.response.status === 201, "access is requested (201)", requested.error);
const access = requested.data;
if (access === undefined) throw new Error(`no access request: ${JSON.stringify(requested.error)}`);
check(access.application === application.id, "the access is the application's", access);
check(access.resource === env("AGORA_RESOURCE"), "the access is to the resource", access);
check(access.approval === "approved", "the resource approves access automatically", access);
check(access.name.startsWith("Typed journey"), "the access is named after the application", access);

// Create an API key under that access: its secret is in this answer only.
const created = await client.POST("/api/v1/teams/{team}/credentials", {
  params: { path: { team } },
  body: { application: application.id, access: access.id, name: "Typed key", kind: "api_key" },
});
check(created.response.status === 201, "a credential is created (201)", created.error);
const credential = created.data;
if (credential === undefined) throw new Error(`no credential: ${JSON.stringify(created.error)}`);
check(credential.kind === "api_key", "the credential is an API key", credential);
check(credential.name === "Typed key", "the credential keeps its name", credential);
check(
  typeof credential.secret === "string" && credential.secret.startsWith("agora_"),
  "the new key is shown once",
  { ...credential, secret: credential.secret === undefined ? "absent" : "redacted" },
);
check(["Pending", "Active"].includes(credential.state), "a new credential is Pending or Active", credential);
check(credential.desired === "active", "a new credential is meant to be active", credential);
check(
  created.response.headers.get("cache-control") === "no-store",
  "an answer with a secret is not stored",
  [...created.response.headers],
);

// Suspend it: the wish is recorded at once, whatever the data plane does.
const suspended = await client.POST("/api/v1/teams/{team}/credentials/{credential}/{action}", {
  params: { path: { team, credential: credential.id, action: "suspend" } },
});
check(suspended.response.status === 200, "the credential is suspended (200)", suspended.error);
const after = suspended.data;
if (after === undefined) throw new Error(`no credential: ${JSON.stringify(suspended.error)}`);
check(after.id === credential.id, "the answer is the same credential", after);
check(after.desired === "inactive", "a suspended credential is meant to be inactive", after);
check(after.secret === undefined || after.secret === null, "a suspension shows no secret", after);

// Read it back: the suspension holds, and a read never shows a secret.
const read = await client.GET("/api/v1/teams/{team}/credentials/{credential}", {
  params: { path: { team, credential: credential.id } },
});
check(read.response.status === 200, "the credential reads back (200)", read.error);
check(read.data?.desired === "inactive", "the suspension holds", read.data);
check(read.data !== undefined && !("secret" in read.data), "a read never shows the secret", read.data);

console.log(`journey done: application ${application.id}, access ${access.id}, credential ${credential.id} suspended`);

// Interop check: the real AWS SDK for JavaScript v3 against signin-mock.
// Run by crates/signin-mock/tests/interop.rs with NODE_PATH pointing at an npm install of
// @aws-sdk/client-sts (and @aws-sdk/credential-provider-login for the `login` step).
// Usage: node js_check.cjs {login|static}
const fs = require("node:fs");
const path = require("node:path");
const { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } = require("@aws-sdk/client-sts");

const BASE = process.env.MOCK_BASE;
const DIR = process.env.INTEROP_DIR;
const ALICE = "arn:aws:iam::111122223333:user/alice";
const DEPLOY = "arn:aws:iam::111122223333:role/Deploy";
const version = require(path.join(require.resolve("@aws-sdk/client-sts").split("/dist-cjs")[0], "package.json")).version;

function pass(message) {
  console.log(`PASS [client-sts ${version}]: ${message}`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function stats() {
  const response = await fetch(`${BASE}/__admin/stats`);
  return response.json();
}

function sts(credentials) {
  return new STSClient({ region: "us-east-1", endpoint: BASE, credentials, maxAttempts: 1 });
}

async function expectError(promise, codes, what) {
  try {
    await promise;
  } catch (error) {
    assert(codes.includes(error.name), `${what}: got ${error.name} (${error.message}), expected ${codes}`);
    pass(`${what} refused with ${error.name}`);
    return;
  }
  throw new Error(`${what}: call succeeded but must fail`);
}

async function tamperedChecks(good) {
  const flipped = (good.secretAccessKey[0] === "A" ? "B" : "A") + good.secretAccessKey.slice(1);
  await expectError(sts({ ...good, secretAccessKey: flipped }).send(new GetCallerIdentityCommand({})), ["SignatureDoesNotMatch"], "tampered secret");
  await expectError(sts({ ...good, accessKeyId: "ASIAAAAAAAAAAAAAAAAA" }).send(new GetCallerIdentityCommand({})), ["InvalidClientTokenId"], "unknown access key id");
  await expectError(sts({ ...good, sessionToken: good.sessionToken.slice(0, -4) + "AAAA" }).send(new GetCallerIdentityCommand({})), ["InvalidClientTokenId"], "tampered session token");
}

async function loginStep() {
  const { fromLoginCredentials } = require("@aws-sdk/credential-provider-login");
  const before = (await stats()).token.refresh_token?.ok ?? 0;
  const cacheFile = path.join(process.env.AWS_LOGIN_CACHE_DIRECTORY,
    require("node:crypto").createHash("sha256").update(ALICE).digest("hex") + ".json");
  const old = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
  const client = new STSClient({ region: "us-east-1", endpoint: BASE, maxAttempts: 1,
    credentials: fromLoginCredentials({ profile: "login", clientConfig: { endpoint: BASE } }) });
  const identity = await client.send(new GetCallerIdentityCommand({}));
  assert(identity.Arn === ALICE, `Arn ${identity.Arn}`);
  pass(`fromLoginCredentials: GetCallerIdentity -> ${identity.Arn}`);
  const after = (await stats()).token.refresh_token?.ok ?? 0;
  assert(after === before + 1, `expected exactly one refresh, saw ${after - before}`);
  const fresh = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
  assert(fresh.refreshToken !== old.refreshToken, "refresh token must rotate in the cache");
  assert(new Date(fresh.accessToken.expiresAt) > new Date(), "new expiry in the future");
  pass("credential-provider-login refreshed exactly once against /v1/token (DPoP) and rewrote the cache");
}

async function staticStep() {
  const process_ = JSON.parse(fs.readFileSync(path.join(DIR, "process.json"), "utf8"));
  const good = { accessKeyId: process_.AccessKeyId, secretAccessKey: process_.SecretAccessKey, sessionToken: process_.SessionToken };
  const identity = await sts(good).send(new GetCallerIdentityCommand({}));
  assert(identity.Arn === ALICE && identity.Account === "111122223333", JSON.stringify(identity));
  pass(`explicit credentials: GetCallerIdentity -> ${identity.Arn}`);
  const role = await sts(good).send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: "js-interop", DurationSeconds: 900 }));
  assert(role.AssumedRoleUser.Arn === "arn:aws:sts::111122223333:assumed-role/Deploy/js-interop", JSON.stringify(role.AssumedRoleUser));
  assert(role.Credentials.Expiration instanceof Date, "Expiration parsed as a Date");
  const asRole = await sts({ accessKeyId: role.Credentials.AccessKeyId, secretAccessKey: role.Credentials.SecretAccessKey,
    sessionToken: role.Credentials.SessionToken }).send(new GetCallerIdentityCommand({}));
  assert(asRole.Arn === role.AssumedRoleUser.Arn, asRole.Arn);
  pass("AssumeRole, then GetCallerIdentity as the role");
  await expectError(sts(good).send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::111122223333:role/Nope", RoleSessionName: "x1" })), ["AccessDenied"], "AssumeRole of an unknown role");
  await tamperedChecks(good);
}

const step = process.argv[2];
({ login: loginStep, static: staticStep })[step]().catch((error) => {
  console.error(`FAIL [client-sts ${version}] ${step}: ${error.stack || error}`);
  process.exit(1);
});

// Interop check: the JS SDK's SSO credential provider against signin-mock's IAM Identity Center.
//
// Run by crates/signin-mock/tests/interop.rs (sso_peers_against_the_mock) with NODE_PATH at the
// peers' node_modules, HOME, AWS_CONFIG_FILE and AWS_ENDPOINT_URL_SSO_OIDC / _SSO / _STS at the mock,
// and SSO_TOKEN (JSON: accessToken, refreshToken, clientId, clientSecret, registrationExpiresAt) of a
// device-flow sign-in the test made. It writes an sso-session profile and the token cache as
// `aws sso login` does, with the access token 2 minutes from expiry, so `fromSSO` must refresh it
// (CreateToken refresh_token) and then call GetRoleCredentials; STS must accept the credentials.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { fromSSO } = require("@aws-sdk/credential-provider-sso");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

const START_URL = "https://d-1234567890.awsapps.com/start";
const SESSION = "my-sso";
const stsVersion = require("@aws-sdk/client-sts/package.json").version;

function pass(message) {
  console.log(`PASS [client-sts ${stsVersion}]: ${message}`);
}

async function main() {
  const token = JSON.parse(process.env.SSO_TOKEN);
  fs.writeFileSync(
    process.env.AWS_CONFIG_FILE,
    `[profile dev]\nsso_session = ${SESSION}\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = us-east-1\n\n` +
      `[sso-session ${SESSION}]\nsso_start_url = ${START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n`,
  );
  const dir = path.join(process.env.HOME, ".aws", "sso", "cache");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, crypto.createHash("sha1").update(SESSION).digest("hex") + ".json");
  const soon = new Date(Date.now() + 120 * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  fs.writeFileSync(
    file,
    JSON.stringify({
      startUrl: START_URL,
      region: "us-east-1",
      accessToken: token.accessToken,
      expiresAt: soon,
      clientId: token.clientId,
      clientSecret: token.clientSecret,
      registrationExpiresAt: token.registrationExpiresAt,
      refreshToken: token.refreshToken,
    }),
  );

  const credentials = await fromSSO({ profile: "dev" })();
  if (!credentials.accessKeyId || !credentials.expiration) throw new Error("no credentials");
  const written = JSON.parse(fs.readFileSync(file, "utf8"));
  if (written.accessToken === token.accessToken) throw new Error("the token was not refreshed");
  if (written.refreshToken === token.refreshToken) throw new Error("the refresh token did not rotate");
  pass("fromSSO refreshed the cached token and got role credentials");

  const sts = new STSClient({ region: "us-east-1", credentials });
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  if (identity.Account !== "111122223333" || !identity.Arn.includes("/AWSReservedSSO_ReadOnly_")) {
    throw new Error(`unexpected identity ${JSON.stringify(identity)}`);
  }
  pass(`STS accepted the SSO role credentials: ${identity.Arn}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

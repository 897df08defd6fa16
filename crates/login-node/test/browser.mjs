// A stand-in for the user's browser when signin-mock auto-approves: `$BROWSER URL` fetches the
// authorize URL and follows its redirect to the CLI's loopback callback, like a browser would.
const url = process.argv[2]
if (!url) {
  console.error('usage: browser.mjs URL')
  process.exit(2)
}
const response = await fetch(url, { redirect: 'follow' })
await response.text()
if (!response.ok) {
  console.error(`browser.mjs: ${url} ended at ${response.url} with HTTP ${response.status}`)
  process.exit(1)
}

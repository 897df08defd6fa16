// Child process of concurrency.test.mjs: loads the package, says `ready`, waits for a line on
// stdin, resolves the login credentials once and prints the access key id (or the error) as JSON.
import { createInterface } from 'node:readline'
import { fromLogin } from 'aws-login-provider'

const lines = createInterface({ input: process.stdin })
console.log('ready')
lines.once('line', async () => {
  try {
    const credentials = await fromLogin()()
    console.log(JSON.stringify({ accessKeyId: credentials.accessKeyId }))
  } catch (error) {
    console.log(JSON.stringify({ error: `${error.name}: ${error.message}` }))
  }
  lines.close()
})

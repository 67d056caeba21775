// The native API as the console uses it: a browser session (login sets the HttpOnly
// JSESSIONID cookie) and the sessionkey it returned, sent with every command as CloudStack's
// CSRF guard. There is no other back end: anything the console does, the API does.
import { reactive } from 'vue'

const ENDPOINT = '/client/api'
const STORED = 'alto.session'
const JOB_PENDING = 0
const JOB_SUCCEEDED = 1
// A 401 with this text means the session is over; other 401s refuse one command to this user.
const SESSION_OVER = /^unable to verify user credentials/

export class ApiError extends Error {
  constructor(status, text, command) {
    super(text || `${command} failed with HTTP ${status}`)
    this.status = status
    this.command = command
  }
}

// The logged-in user ({username, userid, account, domainid, type, sessionkey}), or null.
// `ended` says the server ended the session (idle time, logout elsewhere).
export const session = reactive({ user: JSON.parse(sessionStorage.getItem(STORED) || 'null'), ended: false })

export function isAdmin() {
  return ['ADMIN', '1'].includes(String(session.user?.type ?? '').toUpperCase())
}

function forget({ ended = false } = {}) {
  session.user = null
  session.ended = ended
  sessionStorage.removeItem(STORED)
}

async function post(command, params) {
  const body = new URLSearchParams({ command, response: 'json' })
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') body.set(name, String(value))
  }
  const response = await fetch(ENDPOINT, { method: 'POST', body, credentials: 'same-origin' })
  let reply = {}
  try {
    reply = Object.values(await response.json())[0] || {}
  } catch {
    throw new ApiError(response.status, `${command}: the server did not answer in JSON`, command)
  }
  if (!response.ok) {
    if (response.status === 401 && SESSION_OVER.test(reply.errortext || '') && session.user) forget({ ended: true })
    throw new ApiError(response.status, reply.errortext, command)
  }
  return reply
}

export async function login({ username, password, domain }) {
  const reply = await post('login', { username, password, domain: domain || '/' })
  session.user = {
    username: reply.username,
    userid: reply.userid,
    account: reply.account,
    domainid: reply.domainid,
    type: reply.type,
    sessionkey: reply.sessionkey,
  }
  session.ended = false
  sessionStorage.setItem(STORED, JSON.stringify(session.user))
  return session.user
}

export async function logout() {
  try {
    await post('logout', { sessionkey: session.user?.sessionkey })
  } finally {
    forget()
  }
}

// Runs a command; its response body ({count, <object>: [...]} for lists), or throws ApiError.
export function call(command, params = {}) {
  return post(command, { ...params, sessionkey: session.user?.sessionkey })
}

// One page of a list command: {rows, count}.
export async function listPage(command, key, params = {}, { page = 1, pagesize = 20 } = {}) {
  const reply = await call(command, { ...params, page, pagesize })
  return { rows: reply[key] || [], count: reply.count || 0 }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Runs a command and, when it is asynchronous, polls its job until it ends; the command's
// (or the job's) result, or throws ApiError with the error text. onProgress(seconds) is
// called on every poll.
export async function perform(command, params = {}, onProgress = () => {}) {
  const started = Date.now()
  const reply = await call(command, params)
  if (!reply.jobid) return reply
  for (;;) {
    const job = await call('queryAsyncJobResult', { jobid: reply.jobid })
    if (job.jobstatus !== JOB_PENDING) {
      if (job.jobstatus === JOB_SUCCEEDED) return job.jobresult || {}
      throw new ApiError(job.jobresultcode || 530, job.jobresult?.errortext, command)
    }
    onProgress(Math.round((Date.now() - started) / 1000))
    await pause(1000)
  }
}

// Objects in a bucket, through the same server's S3 API, signed (SigV4) with the user's own
// API keys from the native API (getUserKeys): what the aws CLI does with the same keys.
// The hashes are pure JavaScript because the Web Crypto API exists only in secure contexts,
// and an appliance is often reached over plain HTTP.
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { call, session } from './api.js'

const REGION = 'us-east-1'
const UNSIGNED = 'UNSIGNED-PAYLOAD'
let keys = null

async function userKeys() {
  if (keys?.user === session.user?.userid) return keys
  const userid = session.user?.userid
  let found = (await call('getUserKeys', { id: userid })).userkeys || {}
  if (!found.apikey) found = (await call('registerUserKeys', { id: userid })).userkeys
  keys = { user: userid, access: found.apikey, secret: found.secretkey }
  return keys
}

const encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function objectPath(bucket, key = '') {
  return key ? `/${encode(bucket)}/${key.split('/').map(encode).join('/')}` : `/${encode(bucket)}`
}

function canonicalQuery(query) {
  return Object.keys(query).sort().map((name) => `${encode(name)}=${encode(String(query[name]))}`).join('&')
}

// The URL and headers of a signed request (the payload is not hashed: UNSIGNED-PAYLOAD).
async function signed(method, path, query = {}) {
  const { access, secret } = await userKeys()
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')
  const day = stamp.slice(0, 8)
  const scope = `${day}/${REGION}/s3/aws4_request`
  const headers = { host: window.location.host, 'x-amz-content-sha256': UNSIGNED, 'x-amz-date': stamp }
  const names = Object.keys(headers).sort()
  const canonical = [
    method, path, canonicalQuery(query),
    ...names.map((name) => `${name}:${headers[name]}`), '',
    names.join(';'), UNSIGNED,
  ].join('\n')
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, bytesToHex(sha256(utf8ToBytes(canonical)))].join('\n')
  let signingKey = utf8ToBytes(`AWS4${secret}`)
  for (const part of [day, REGION, 's3', 'aws4_request']) signingKey = hmac(sha256, signingKey, utf8ToBytes(part))
  const signature = bytesToHex(hmac(sha256, signingKey, utf8ToBytes(toSign)))
  delete headers.host
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${access}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`
  const search = canonicalQuery(query)
  return { url: search ? `${path}?${search}` : path, headers }
}

function s3Error(xhr) {
  const xml = new DOMParser().parseFromString(xhr.responseText || '', 'application/xml')
  const text = (tag) => xml.getElementsByTagName(tag)[0]?.textContent
  return new Error(text('Message') || text('Code') || `S3 answered HTTP ${xhr.status}`)
}

// Sends a signed request with XMLHttpRequest (which reports upload and download progress).
async function send(method, path, { query = {}, body = null, responseType = '', onProgress = () => {} } = {}) {
  const { url, headers } = await signed(method, path, query)
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(method, url)
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value)
    xhr.responseType = responseType
    const report = (event) => onProgress(event.lengthComputable ? event.loaded / event.total : null)
    xhr.upload.onprogress = report
    xhr.onprogress = report
    xhr.onerror = () => reject(new Error(`${method} ${path}: the connection failed`))
    xhr.onload = async () => {
      if (xhr.status < 300) return resolve(xhr)
      if (responseType === 'blob') {
        const text = await xhr.response.text()
        return reject(s3Error({ status: xhr.status, responseText: text }))
      }
      return reject(s3Error(xhr))
    }
    xhr.send(body)
  })
}

// One page of a bucket's objects: {objects: [{key, size, modified}], next} (next: a token).
export async function listObjects(bucket, { token = '', pageSize = 50 } = {}) {
  const query = { 'list-type': 2, 'max-keys': pageSize }
  if (token) query['continuation-token'] = token
  const xhr = await send('GET', objectPath(bucket), { query })
  const xml = new DOMParser().parseFromString(xhr.responseText, 'application/xml')
  const objects = [...xml.getElementsByTagName('Contents')].map((item) => ({
    key: item.getElementsByTagName('Key')[0].textContent,
    size: Number(item.getElementsByTagName('Size')[0].textContent),
    modified: item.getElementsByTagName('LastModified')[0]?.textContent,
  }))
  const next = xml.getElementsByTagName('NextContinuationToken')[0]?.textContent || ''
  return { objects, next }
}

export function uploadObject(bucket, file, onProgress) {
  return send('PUT', objectPath(bucket, file.name), { body: file, onProgress })
}

export async function downloadObject(bucket, key, onProgress) {
  const xhr = await send('GET', objectPath(bucket, key), { responseType: 'blob', onProgress })
  return xhr.response
}

export function deleteObject(bucket, key) {
  return send('DELETE', objectPath(bucket, key))
}

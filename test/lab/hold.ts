/**
 * Build a small lab, print `{"event":"ready","namespaces":[...]}` and wait (at most 60 s): the
 * lab tests kill this process to check that a lab goes away with its owner, however it ends.
 */
import { createLab } from './lab.ts'

const lab = await createLab({ public: ['pub'], homes: [{ name: 'home', hosts: ['inside'] }] })
const namespaces = ['internet', 'pub', 'home', 'inside'].map(n => lab.namespace(n))
process.stdout.write(JSON.stringify({ event: 'ready', namespaces }) + '\n')
setTimeout(() => { void lab.destroy() }, 60_000)

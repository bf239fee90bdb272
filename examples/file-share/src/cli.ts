#!/usr/bin/env node
/**
 * hearsay-share: seed, search for and download files over hearsay — a Kademlia file index with
 * verified multi-peer piece download. Every command takes --json for one JSON event per line on
 * stdout. Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted; every error is one line
 * on stderr.
 */
// first: a node whose launcher (npx, pnpm, a demo) died stops instead of running on, orphaned
import '../../shared/src/stop-with-launcher.ts'
import { readFileSync } from 'node:fs'
import { enable } from '@libp2p/logger'
import { Command, InvalidArgumentError, Option } from 'commander'
import { defaultDataDir } from './data-dir.ts'
import { EXIT, Output, UsageError, type Verbosity } from './output.ts'
import { announceAddr, byteRate, ipAddress, listenAddr, peerAddr, positiveInteger, seconds } from './options.ts'
import { interruptedBy } from './signals.ts'
import type { ShareNodeOptions } from './share-node.ts'

const VIAS = ['dht', 'flood', 'central'] as const
const COMMANDS = 'seed, get, search, index or list'
// each command's module (and libp2p with it) is loaded when that command runs: --help,
// --version and usage errors answer at once
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

// `pnpm hearsay-share` runs this in the repository root: resolve the user's paths from where
// they typed the command
if (process.env.npm_lifecycle_event === 'hearsay-share' && process.env.INIT_CWD != null) process.chdir(process.env.INIT_CWD)

interface CommonOptions {
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  dataDir?: string
  dialFrom?: string
  index?: string[]
  maxUpload?: number
  json?: boolean
  verbose?: boolean
  quiet?: boolean
}

const nonEmpty = (value: string): string => {
  if (value.trim() === '') throw new InvalidArgumentError('expected a directory')
  return value
}

/** The options a command takes: each command lists only those it uses. */
function common (command: Command, { network = false, serves = false, index = false } = {}): Command {
  if (network) {
    command
      .option('--listen <multiaddr>', 'listen address (repeatable); /ip4/0.0.0.0/tcp/<port> shares beyond this machine [default: /ip4/127.0.0.1/tcp/0]', listenAddr)
      .option('--announce <multiaddr>', 'this node\'s public address, announced as it is (repeatable): a server\'s /ip4/<public ip>/tcp/<port>; makes it a relay for peers behind NATs', announceAddr)
      .option('--bootstrap <multiaddr>', 'a peer to join the network through, ending in /p2p/<id> (repeatable)', peerAddr)
      .option('--dial-from <ip>', 'source address of outgoing connections (many nodes on one machine)', ipAddress)
  }
  command.option('--data-dir <dir>', `identity, peer store and file store [default: ${defaultDataDir()}]`, nonEmpty)
  if (serves) command.option('--max-upload <rate>', 'cap on upload speed per second, e.g. 2MB [default: unlimited]', byteRate)
  if (index) command.option('--index <multiaddr>', 'central index to register with and search (see "hearsay-share index")', peerAddr)
  return command
    .option('--json', 'newline-delimited JSON events on stdout instead of human output')
    .addOption(new Option('-q, --quiet', 'print only results (ids, addresses, saved paths) and errors').conflicts('verbose'))
    .option('-v, --verbose', 'more detail, and hearsay debug logs on stderr (as DEBUG=hearsay:* does)')
}

function nodeOptions (o: CommonOptions): ShareNodeOptions {
  return {
    listen: o.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    ...(o.announce != null ? { announce: o.announce } : {}),
    bootstrap: o.bootstrap ?? [],
    dataDir: o.dataDir ?? defaultDataDir(),
    ...(o.dialFrom != null ? { dialFrom: o.dialFrom } : {}),
    ...(o.index != null ? { index: o.index[o.index.length - 1] } : {}),
    ...(o.maxUpload != null ? { uploadBytesPerSecond: o.maxUpload } : {})
  }
}

// usage errors caught by commander are printed as our own errors are: one line, and an error
// event on stdout when --json was asked for
let out = new Output(process.argv.includes('--json'))

const program = new Command()
  .name('hearsay-share')
  .description('Share files peer to peer: seed them, search by name, download from many peers at once with every piece verified.')
  .version(version, '-V, --version')
  .configureOutput({ outputError: str => { out.error(str.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '), EXIT.usage) } })
  .exitOverride(err => {
    // usage errors exit 2; --help and --version exit 0
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage)
  })
  .hook('preAction', (_program, command) => {
    const o = command.opts<CommonOptions>()
    const verbosity: Verbosity = o.quiet === true ? 'quiet' : o.verbose === true ? 'verbose' : 'normal'
    out = new Output(o.json, verbosity)
    if (verbosity === 'verbose') enable([process.env.DEBUG, 'hearsay:*'].filter(s => s != null && s !== '').join(','))
  })

common(program.command('seed'), { network: true, serves: true, index: true })
  .description('add files (directories recursively) and serve them until Ctrl-C')
  .argument('<path...>', 'files or directories to share')
  .action(async (paths: string[], o: CommonOptions) => {
    const { seed } = await import('./seed.ts')
    await seed(paths, nodeOptions(o), out)
  })

common(program.command('get'), { network: true, serves: true })
  .description('download a file by id: verified, written atomically, resumable')
  .argument('<id>', 'the file id (from seed or search)')
  .option('--out <path>', 'a file to write, or a directory to write <name> in (one ending in / is created) [default: ./<name>]')
  .option('--force', 'replace a file that already exists there')
  .option('--timeout <seconds>', 'give up when the file is not found in this time, or no piece arrives for this long', seconds, 60)
  .option('--keep-seeding', 'serve the file after the download until Ctrl-C')
  .action(async (id: string, o: CommonOptions & { out?: string, force?: boolean, timeout: number, keepSeeding?: boolean }) => {
    const { get } = await import('./get.ts')
    await get(id, { out: o.out, force: o.force, timeout: o.timeout, keepSeeding: o.keepSeeding }, nodeOptions(o), out)
  })

common(program.command('search'), { network: true, index: true })
  .description('find files by words of their names')
  .argument('<words...>', 'words of the name (all must match)')
  .addOption(new Option('--via <backend>', 'search design').choices(VIAS).default('dht'))
  .option('--timeout <seconds>', 'how long to collect answers [default: dht 10, flood 3, central 5]', seconds)
  .option('--limit <n>', 'most results', positiveInteger, 100)
  .action(async (words: string[], o: CommonOptions & { via: typeof VIAS[number], timeout?: number, limit: number }) => {
    const { search } = await import('./search.ts')
    await search(words, { via: o.via, timeout: o.timeout, limit: o.limit }, nodeOptions(o), out)
  })

common(program.command('index'), { network: true })
  .description('run a central index node (for search --via central) until Ctrl-C')
  .action(async (o: CommonOptions) => {
    const { runIndex } = await import('./index-node.ts')
    await runIndex(nodeOptions(o), out)
  })

common(program.command('list'))
  .description('list the files in the store, complete and partial')
  .action(async (o: CommonOptions) => {
    const { list } = await import('./list.ts')
    await list(nodeOptions(o), out)
  })

program.addHelpText('after', `
Every command takes --json (one JSON event per line on stdout), --quiet and --verbose;
DEBUG=hearsay:* shows hearsay's debug logs (DEBUG=libp2p:* libp2p's).
Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted.`)

try {
  if (process.argv.length <= 2) throw new UsageError(`missing command: ${COMMANDS} (hearsay-share --help shows them)`)
  await program.parseAsync()
  process.exit(EXIT.ok)
} catch (err: any) {
  const signal = interruptedBy()
  if (signal != null) {
    out.error(`interrupted by ${signal}`, EXIT.interrupted)
    process.exit(EXIT.interrupted)
  }
  const code = err instanceof UsageError ? EXIT.usage : EXIT.failure
  out.error(err?.message ?? String(err), code)
  // a failure that is not the user's doing may be a bug: --verbose shows where it came from
  if (code === EXIT.failure && out.verbosity === 'verbose' && err?.stack != null) process.stderr.write(`${String(err.stack)}\n`)
  process.exit(code)
}

// Language images: perl, python, node, ruby. kip runs the host's interpreter, found on the agent's
// PATH when the image is pulled; a host without it cannot run the image, which is ErrImagePull
// naming what is missing. The tag is not honoured: python:3.12 is whatever python3 the host has.

import { ImagePullError } from '../reference.js';
import type { CatalogImage, ImageHost } from './types.js';

/** The commands the image has, each the first of its candidates the host has. */
interface Interpreter {
  name: string;
  repositories: string[];
  /** command in the image -> host programs that stand for it, in order of preference. */
  commands: Record<string, string[]>;
  /** The command without which the image is useless. */
  main: string;
  /** Arguments a command is given before the caller's (a fix for the host's interpreter). */
  flags?: Record<string, string[]>;
  entrypoint?: string[];
  cmd: string[];
  /** Scripts the image has besides its commands (its entrypoint script). */
  scripts?: Record<string, { sh: string }>;
}

// The node image's docker-entrypoint.sh: arguments that are not a command are node's.
const NODE_ENTRYPOINT = `if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"`;

function interpreterImage(i: Interpreter): CatalogImage {
  return {
    name: i.name,
    repositories: i.repositories,
    description: `the host's ${i.main}`,
    config: (ref, host: ImageHost) => {
      const found: Record<string, string[]> = {};
      for (const [command, candidates] of Object.entries(i.commands)) {
        const at = candidates.map((c) => (c.startsWith('/') ? c : host.which(c))).find((p) => p !== undefined);
        if (at) found[command] = [at, ...(i.flags?.[command] ?? [])];
      }
      if (!found[i.main]) {
        throw new ImagePullError(
          `rpc error: code = NotFound desc = "${ref.ref}": kip runs this image with the host's ${i.main}, and this host has no ${i.commands[i.main]!.join(' or ')} on its PATH: install it, or map the image to a program in the agent's images file (--images)`,
        );
      }
      return { entrypoint: i.entrypoint ?? [], cmd: i.cmd, path: [host.standIns(i.name, { ...found, ...i.scripts })] };
    },
  };
}

/**
 * Kubernetes' example Job (`perl -Mbignum=bpi -wle 'print bpi(2000)'`, on perl:5.34.0) fails on
 * Debian 12's perl 5.36: its bignum's bpi turns off Math::BigFloat's upgrading but not its
 * downgrading, and above 1,000 digits Math::BigInt::Calc is then handed a number it cannot read
 * ("Can't use an undefined value as an ARRAY reference"). The image's perl loads bignum, without
 * importing anything, and wraps its bpi to turn downgrading off too, which later bignums do
 * themselves; the digits are Math::BigFloat->bpi's. Programs that do not use bignum are
 * unchanged, and start about 10 ms later. A host perl without bignum (perl-base alone) is left
 * as it is: the fix is carried by strict (`use strict ()`, which imports nothing and is in every
 * perl), not by bignum, whose absence would fail every program.
 */
const PERL_BIGNUM_BPI_FIX =
  '-Mstrict ();BEGIN{if(eval{require bignum;1}){no warnings "redefine";my $bpi=\\&bignum::bpi;' +
  '*bignum::bpi=sub ($) {my $down=Math::BigFloat->downgrade();Math::BigFloat->downgrade(undef);my $x=$bpi->(@_);Math::BigFloat->downgrade($down);$x}}}';

export const INTERPRETER_IMAGES: readonly CatalogImage[] = [
  interpreterImage({
    name: 'perl',
    repositories: ['perl'],
    commands: { perl: ['perl'], cpan: ['cpan'] },
    main: 'perl',
    flags: { perl: [PERL_BIGNUM_BPI_FIX] },
    cmd: ['perl', '-de0'],
  }),
  interpreterImage({
    name: 'python',
    repositories: ['python', 'pypy'],
    commands: { python: ['python3', 'python'], python3: ['python3', 'python'], pip: ['pip3', 'pip'], pip3: ['pip3', 'pip'] },
    main: 'python',
    cmd: ['python3'],
  }),
  interpreterImage({
    name: 'node',
    repositories: ['node'],
    // The agent's own node is always there.
    commands: { node: ['node', process.execPath], npm: ['npm'], npx: ['npx'] },
    main: 'node',
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['node'],
    scripts: { 'docker-entrypoint.sh': { sh: NODE_ENTRYPOINT } },
  }),
  interpreterImage({ name: 'ruby', repositories: ['ruby'], commands: { ruby: ['ruby'], irb: ['irb'], gem: ['gem'] }, main: 'ruby', cmd: ['irb'] }),
];

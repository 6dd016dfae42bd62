// Summarises a .cpuprofile: node --import tsx bench/profile-top.ts <file> [rows]

import { printProfile, summariseProfile } from './lib/profile.ts';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: profile-top.ts <file.cpuprofile> [rows]');
  process.exit(2);
}
const rows = Number(process.argv[3] ?? 25);
printProfile(await summariseProfile(file, rows), rows);

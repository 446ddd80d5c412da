/**
 * The lesson runner's view of the shell-integration marks (OSC 133) the
 * sandbox's bash prints around every prompt and command. The parser itself
 * is lab-server/src/shell-marks.ts, shared with the page and the server's
 * interrupt skip, so all three read a D's exit code the same way; this file
 * only keeps the runner's import path.
 */
export { findShellMarks, type ShellMark } from '../../lab-server/src/shell-marks.ts';

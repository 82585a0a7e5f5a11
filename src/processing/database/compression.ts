import { deflateSync, inflateSync, constants } from 'node:zlib';

/**
 * zlib level 6 with a preset dictionary. Most events are a few KB of JSON whose keys and
 * envelope repeat in every row; plain zlib has to learn them again for each row, a dictionary
 * gives them for free. The dictionary is stored in `compression_dictionaries` and each row
 * records which one it used (`raw_traces.dictionary_id`), so any zlib can inflate any row:
 * `zlib.decompressobj(zdict=dictionary)` in Python, `inflateSync(buf, {dictionary})` in Node.
 *
 * zlib looks back at most 32 KB and prefers strings near the end of the dictionary, so the most
 * common material comes last.
 */
const DICTIONARY_TEXT = [
  // Code and shell output vocabulary that recurs across edits, reads and command output.
  'function return const let var import export from default class extends interface type async await new this null undefined true false ',
  'if (else { } for (while ( try { catch (err) throw new Error( console.log( process.env. require( module.exports = ',
  '=> { }); }; ]; ), ); ', '\\n  ', '\\n    ', '\\n      ', '\\n\\n', '\\t',
  'npm ERR! npm WARN added packages in audited found 0 vulnerabilities PASS FAIL ✓ ✗ Tests: passed, failed, total Test Suites: Time: ',
  'error TS warning: Error: at Object.<anonymous> at Module._compile node:internal/ (node:internal/modules/cjs/loader:',
  'diff --git a/ b/ index --- a/ +++ b/ @@ -1,5 +1,6 @@ modified: new file: deleted: On branch nothing to commit, working tree clean',
  '.ts .tsx .js .json .md .py .go .rs src/ test/ lib/ dist/ node_modules/ package.json tsconfig.json README.md ',
  // Cursor payload vocabulary (reference/cursor-hooks.md §5), the most frequent last.
  '"reason":"window_close","final_status":"none","duration_ms":"is_background_agent":false,"composer_mode":"agent",',
  '"trigger":"auto","context_usage_percent":"context_tokens":"context_window_size":"message_count":"messages_to_compact":"is_first_compaction":',
  '"subagent_id":"subagent_type":"general-purpose","task":"parent_conversation_id":"tool_call_id":"subagent_model":"is_parallel_worker":false,',
  '"status":"completed","description":"summary":"tool_call_count":"loop_count":0,"modified_files":[],"agent_transcript_path":null,',
  '"input_tokens":"output_tokens":"cache_read_tokens":"cache_write_tokens":0,',
  '"attachments":[{"type":"file","file_path":"},{"type":"rule","file_path":"/.cursor/rules/',
  '"tool_name":"Shell","tool_input":{"command":"","cwd":"","timeout":30000},"tool_use_id":"call-',
  '"tool_name":"Read","tool_input":{"file_path":"tool_output":"{\\"file_path\\":\\"content_length\\":',
  '"tool_name":"Write","tool_output":"{\\"file_path\\":\\"success\\":true}"',
  '"error_message":"failure_type":"timeout","is_interrupt":false,"result_json":"{\\"rows\\":',
  '"command":"npm test","output":"> ","duration":"sandbox":false,"cwd":"',
  '"file_path":"","content":"","edits":[{"old_string":"","new_string":""}],"text":"","prompt":"',
  '"model":"default","model_id":"default","model_params":[{"id":"thinking","value":"true"}],',
  '"cursor_version":"3.18.25","workspace_roots":["","user_email":"transcript_path":null,',
  '"hook_event_name":"beforeSubmitPrompt","hook_event_name":"afterAgentResponse","hook_event_name":"afterFileEdit",',
  '"hook_event_name":"preToolUse","hook_event_name":"postToolUse","hook_event_name":"afterShellExecution",',
  '"hook_type":"event_type":"platform":"cursor","timestamp":"event_id":"session_id":',
  '"metadata":{"workspace_hash":"generation_id":"sequence_num":"payload":{"conversation_id":"',
].join('');

export interface CompressionDictionary {
  id: number;
  description: string;
  bytes: Uint8Array;
}

export const DEFAULT_DICTIONARY: CompressionDictionary = {
  id: 1,
  description: 'Cursor hook payload keys and common code/shell vocabulary (v1)',
  bytes: new Uint8Array(Buffer.from(DICTIONARY_TEXT, 'utf8')),
};

const LEVEL = 6;

export function compress(json: string, dictionary: CompressionDictionary | undefined = DEFAULT_DICTIONARY): Buffer {
  return deflateSync(json, { level: LEVEL, dictionary: dictionary?.bytes, strategy: constants.Z_DEFAULT_STRATEGY });
}

export function decompress(blob: Uint8Array, dictionary?: Uint8Array): string {
  return inflateSync(blob, dictionary ? { dictionary } : undefined).toString('utf8');
}

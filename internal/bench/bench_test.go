package bench

import (
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// TestStepFrames: the step frames written by hand decode to StepRequest, in
// both encodings, with strings that need escaping.
func TestStepFrames(t *testing.T) {
	call := Call{Name: "calc\"ulator", Args: `{"expression": "17 * 23 < 400 & ü"}`}
	for _, useMsgpack := range []bool{false, true} {
		c := &conn{msgpack: useMsgpack}
		frame := c.stepFrame(70000, "ep-\n1", 12, call)
		var got, want any
		wantFrame := c.encode(StepRequest(70000, "ep-\n1", 12, call.Name, call.Args))
		var err1, err2 error
		if useMsgpack {
			err1, err2 = msgpack.Unmarshal(frame, &got), msgpack.Unmarshal(wantFrame, &want)
		} else {
			err1, err2 = json.Unmarshal(frame, &got), json.Unmarshal(wantFrame, &want)
		}
		// Compared as JSON: msgpack decodes integers to the width they were sent in.
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if err1 != nil || err2 != nil || string(gotJSON) != string(wantJSON) {
			t.Fatalf("msgpack=%v: frame %q decodes to %v (%v), want %v (%v)", useMsgpack, frame, got, err1, want, err2)
		}
	}
}

// TestReplyID: ids read from the frame's start, or by decoding when the
// frame is not laid out that way.
func TestReplyID(t *testing.T) {
	for _, tc := range []struct {
		frame     string
		isMsgpack bool
		id        int64
	}{
		{`{"id":42,"op":"step","result":{}}`, false, 42},
		{`{"id":-7}`, false, -7},
		{`{"op":"step","id":9}`, false, 9},
		{` {"id": 11, "op": "step"}`, false, 11},
		{"\x82\xa2id\xcd\x01\x00\xa2op\xa4step", true, 256},
	} {
		if id, err := replyID([]byte(tc.frame), tc.isMsgpack); err != nil || id != tc.id {
			t.Errorf("replyID(%q) = %d, %v; want %d", tc.frame, id, err, tc.id)
		}
	}
}

// TestMayCarryError: a reply with an error key anywhere is decoded.
func TestMayCarryError(t *testing.T) {
	for _, tc := range []struct {
		v     any
		carry bool
	}{
		{map[string]any{"id": 1, "result": map[string]any{"info": map[string]any{"tool_calls": []any{map[string]any{"name": "f"}}}}}, false},
		{map[string]any{"id": 1, "result": map[string]any{"info": map[string]any{"tool_calls": []any{map[string]any{"error": map[string]any{"kind": "timeout"}}}}}}, true},
		{map[string]any{"id": 1, "error": map[string]any{"code": "bad_request"}}, true},
	} {
		j, _ := json.Marshal(tc.v)
		m, _ := msgpack.Marshal(tc.v)
		if mayCarryError(j, false) != tc.carry || mayCarryError(m, true) != tc.carry {
			t.Errorf("%v: mayCarryError json %v msgpack %v, want %v", tc.v, mayCarryError(j, false), mayCarryError(m, true), tc.carry)
		}
	}
}

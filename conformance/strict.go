package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rules of the strict reading: what encoding/json forgives and a contract
// check must not. It replaces invalid UTF-8 with U+FFFD and keeps the last
// of duplicate keys, so a client reading the answer another way (or the same
// way) may see another answer than the one judged.
const (
	RuleUTF8         = "utf-8"         // every string of the answer is valid UTF-8
	RuleDuplicateKey = "duplicate-key" // no object of the answer names a member twice
)

// ReadStrictly walks a JSON body once and lists each string holding invalid
// UTF-8 and each member named twice in its object, at its JSON pointer. A
// body that is not JSON is the schema's and the invariants' to report: the
// walk stops at the first syntax error with what it found before.
func ReadStrictly(body []byte) []Violation {
	r := strictReader{dec: json.NewDecoder(bytes.NewReader(body)), body: body}
	return r.walk()
}

// frame is a container the walk is inside: an object, with the members seen
// and the key whose value comes next, or an array and its next index.
type frame struct {
	object bool
	keys   map[string]bool
	key    string
	// wantKey is true in an object where the next string is a key.
	wantKey bool
	index   int
}

type strictReader struct {
	dec   *json.Decoder
	body  []byte
	stack []frame
	out   []Violation
}

func (r *strictReader) walk() []Violation {
	var prev int64
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return r.out
		}
		off := r.dec.InputOffset()
		raw := r.body[prev:off]
		prev = off
		switch t := tok.(type) {
		case json.Delim:
			r.delim(t)
		case string:
			if r.inKey() {
				r.key(t, raw)
				continue
			}
			if !utf8.Valid(raw) {
				r.add(RuleUTF8, r.pointer(), "the string is not valid UTF-8: "+quoteInvalid(raw))
			}
			r.valueDone()
		default:
			r.valueDone()
		}
	}
}

func (r *strictReader) delim(d json.Delim) {
	switch d {
	case '{':
		r.stack = append(r.stack, frame{object: true, keys: map[string]bool{}, wantKey: true})
	case '[':
		r.stack = append(r.stack, frame{})
	default:
		r.stack = r.stack[:len(r.stack)-1]
		r.valueDone()
	}
}

func (r *strictReader) inKey() bool {
	return len(r.stack) > 0 && r.stack[len(r.stack)-1].object && r.stack[len(r.stack)-1].wantKey
}

// key notes the member named k, raw as it came, of the innermost object.
func (r *strictReader) key(k string, raw []byte) {
	top := &r.stack[len(r.stack)-1]
	top.key, top.wantKey = k, false
	if !utf8.Valid(raw) {
		r.add(RuleUTF8, r.pointer(), "the member's name is not valid UTF-8: "+quoteInvalid(raw))
		// Two invalid names may read alike once replaced; one finding is enough.
		return
	}
	if top.keys[k] {
		r.add(RuleDuplicateKey, r.pointer(), fmt.Sprintf("the member %q appears more than once in its object; readers disagree on which one counts", k))
	}
	top.keys[k] = true
}

// valueDone moves past a value of the innermost container.
func (r *strictReader) valueDone() {
	if len(r.stack) == 0 {
		return
	}
	top := &r.stack[len(r.stack)-1]
	if top.object {
		top.wantKey = true
	} else {
		top.index++
	}
}

// pointer is the JSON pointer (RFC 6901) of the value the walk is at.
func (r *strictReader) pointer() string {
	var b strings.Builder
	for _, f := range r.stack {
		b.WriteByte('/')
		if f.object {
			b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(f.key))
		} else {
			b.WriteString(strconv.Itoa(f.index))
		}
	}
	return b.String()
}

func (r *strictReader) add(rule, pointer, message string) {
	r.out = append(r.out, Violation{Pointer: pointer, Rule: rule, Message: message})
}

// quoteInvalid shows raw bytes with each byte that is not UTF-8 escaped.
func quoteInvalid(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n,:")
	const limit = 64
	if len(raw) > limit {
		return strconv.Quote(string(raw[:limit])) + "…"
	}
	return strconv.Quote(string(raw))
}

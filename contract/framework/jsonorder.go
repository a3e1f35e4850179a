package framework

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// jsonValue is a decoded JSON value that remembers the order of its object
// members, so that two documents can be shown in the same key order.
type jsonValue struct {
	// object members in order, when the value is an object
	keys    []string
	members map[string]*jsonValue
	// items, when the value is an array
	items []*jsonValue
	// scalar is the compact text of any other value
	scalar  string
	isObj   bool
	isArray bool
}

func parseOrdered(data []byte) (*jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

func decodeOrdered(dec *json.Decoder) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			v := &jsonValue{isObj: true, members: map[string]*jsonValue{}}
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key := keyTok.(string)
				member, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := v.members[key]; !dup {
					v.keys = append(v.keys, key)
				}
				v.members[key] = member
			}
			_, err := dec.Token()
			return v, err
		}
		v := &jsonValue{isArray: true}
		for dec.More() {
			item, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		_, err := dec.Token()
		return v, err
	default:
		b, _ := json.Marshal(t)
		return &jsonValue{scalar: string(b)}, nil
	}
}

// render writes v indented, with the members of each object in the order of
// the same object in like (its own order for members like lacks).
func (v *jsonValue) render(b *strings.Builder, like *jsonValue, indent string) {
	switch {
	case v.isObj:
		if len(v.keys) == 0 {
			b.WriteString("{}")
			return
		}
		order := v.keys
		if like != nil && like.isObj {
			order = orderLike(v.keys, like.keys)
		}
		b.WriteString("{\n")
		for i, key := range order {
			kb, _ := json.Marshal(key)
			fmt.Fprintf(b, "%s  %s: ", indent, kb)
			var sub *jsonValue
			if like != nil {
				sub = like.members[key]
			}
			v.members[key].render(b, sub, indent+"  ")
			if i < len(order)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case v.isArray:
		if len(v.items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, item := range v.items {
			b.WriteString(indent + "  ")
			var sub *jsonValue
			if like != nil && like.isArray && i < len(like.items) {
				sub = like.items[i]
			}
			item.render(b, sub, indent+"  ")
			if i < len(v.items)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	default:
		b.WriteString(v.scalar)
	}
}

// orderLike orders keys as they come in like, then the keys like lacks in
// their own order.
func orderLike(keys, like []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range like {
		if slices.Contains(keys, k) {
			out = append(out, k)
		}
	}
	for _, k := range keys {
		if !slices.Contains(like, k) {
			out = append(out, k)
		}
	}
	return out
}

// jsonDifferences lists the JSON pointers where want and got differ.
func jsonDifferences(want, got *jsonValue, pointer string) []string {
	switch {
	case want == nil || got == nil:
		return []string{orRoot(pointer)}
	case want.isObj && got.isObj:
		var out []string
		for _, key := range orderLike(append(slices.Clone(got.keys), want.keys...), got.keys) {
			out = append(out, jsonDifferences(want.members[key], got.members[key], pointer+"/"+escapePointer(key))...)
		}
		return out
	case want.isArray && got.isArray && len(want.items) == len(got.items):
		var out []string
		for i := range want.items {
			out = append(out, jsonDifferences(want.items[i], got.items[i], fmt.Sprintf("%s/%d", pointer, i))...)
		}
		return out
	case want.isObj || got.isObj || want.isArray || got.isArray:
		return []string{orRoot(pointer)}
	}
	if sameScalar(want.scalar, got.scalar) {
		return nil
	}
	return []string{orRoot(pointer)}
}

// sameScalar compares numbers by value, so that 1 and 1.0 are equal.
func sameScalar(a, b string) bool {
	if a == b {
		return true
	}
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

func orRoot(pointer string) string {
	if pointer == "" {
		return "(the whole document)"
	}
	return pointer
}

func escapePointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// CompareJSON compares two JSON documents by value. When they differ, it
// says where, and shows both indented with their members in the same order:
// got's, the order of the answer on the wire.
func CompareJSON(want, got []byte) (same bool, explanation string) {
	w, err := parseOrdered(want)
	if err != nil {
		return false, fmt.Sprintf("the expected document is not JSON: %v", err)
	}
	g, err := parseOrdered(got)
	if err != nil {
		return false, fmt.Sprintf("the answer is not JSON: %v", err)
	}
	diffs := jsonDifferences(w, g, "")
	if len(diffs) == 0 {
		return true, ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "differs at %s\nexpected:\n", strings.Join(diffs, ", "))
	w.render(&b, g, "")
	b.WriteString("\nactual:\n")
	g.render(&b, g, "")
	return false, b.String()
}

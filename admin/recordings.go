package admin

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"
)

// RecordingStart is the body of POST /__admin/recordings/start.
type RecordingStart struct {
	// Upstream is the http or https base URL whose answers are recorded.
	// In proxy mode it may be left out, and must otherwise be the proxy's.
	Upstream string `json:"upstream,omitempty"`
	// Registrations are the registrations whose enquiries are forwarded
	// and recorded; every registration's when empty. The others are
	// answered as before.
	Registrations []string `json:"registrations,omitempty"`
	// Directory, relative to the sandbox's recording root (aopay-mock
	// --record-root), is where the recording is written, continuing one
	// found there; without it the recording is kept in memory, for
	// snapshots.
	Directory string `json:"directory,omitempty"`
}

// RecordingStatus is the answer of the recording operations: the recording
// in progress, or the last one when none is.
type RecordingStatus struct {
	// Recording says whether a recording is in progress.
	Recording bool `json:"recording"`
	// Upstream, Directory and Registrations are what the recording was
	// started with; Directory is empty for one in memory.
	Upstream      string    `json:"upstream,omitempty"`
	Directory     string    `json:"directory,omitempty"`
	Registrations []string  `json:"registrations"`
	StartedAt     time.Time `json:"startedAt,omitzero"`
	// Enquiries counts the enquiries forwarded for the captured
	// registrations.
	Enquiries int `json:"enquiries"`
	// RecordedRegistrations and RecordedTransactions are what a snapshot
	// holds.
	RecordedRegistrations int `json:"recordedRegistrations"`
	RecordedTransactions  int `json:"recordedTransactions"`
	// NotRecorded counts the transactions answered past the most one
	// recording holds; they were relayed all the same.
	NotRecorded int `json:"notRecorded"`
}

// SnapshotFormat is how a recording's snapshot is written: a fixtures file
// in JSON or in YAML, either of which aopay-mock --fixtures reads.
type SnapshotFormat string

const (
	SnapshotJSON SnapshotFormat = "json"
	SnapshotYAML SnapshotFormat = "yaml"
)

// ContentType is the media type of a snapshot in format f.
func (f SnapshotFormat) ContentType() string {
	if f == SnapshotYAML {
		return "application/yaml"
	}
	return "application/json"
}

func (c *Client) StartRecording(ctx context.Context, start RecordingStart) (RecordingStatus, error) {
	var s RecordingStatus
	_, err := c.call(ctx, OpStartRecording, nil, nil, start, &s)
	return s, err
}

func (c *Client) StopRecording(ctx context.Context) (RecordingStatus, error) {
	var s RecordingStatus
	_, err := c.call(ctx, OpStopRecording, nil, nil, nil, &s)
	return s, err
}

func (c *Client) Recording(ctx context.Context) (RecordingStatus, error) {
	var s RecordingStatus
	_, err := c.call(ctx, OpRecordingStatus, nil, nil, nil, &s)
	return s, err
}

// RecordingSnapshot reads the fixtures recorded so far by the recording in
// progress, or the last one, as a fixtures file in format (JSON when "").
func (c *Client) RecordingSnapshot(ctx context.Context, format SnapshotFormat) ([]byte, error) {
	q := url.Values{}
	setQuery(q, "format", string(format))
	res, err := c.send(ctx, OpRecordingSnapshot, nil, q, nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, errorOf(res)
	}
	return io.ReadAll(res.Body)
}

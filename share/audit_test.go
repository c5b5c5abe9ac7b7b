package share

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

func TestRecord(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()

	err := s.Record(ctx, AuditEvent{Kind: EventIDPChanged, Actor: "admin@corp.com",
		IDP: "okta", Detail: "signing certificate added"})
	require.NoError(t, err)
	at := t0.Add(-time.Hour + 123)
	err = s.Record(ctx, AuditEvent{Kind: EventIDPChanged, Time: at})
	require.NoError(t, err)

	events := st.events()
	require.Len(t, events, 2)
	assert.NotEmpty(t, events[0].ID)
	assert.NotEqual(t, events[0].ID, events[1].ID)
	assert.Equal(t, t0, events[0].Time)
	assert.Equal(t, t0.Add(-time.Hour), events[1].Time, "times are kept to the microsecond")

	err = s.Record(ctx, AuditEvent{Actor: "x"})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
}

func TestRecordLoginFailure(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		reason string
	}{
		{"saml check", &saml.ValidationError{Check: saml.CheckAudience, Msg: "audience mismatch",
			Want: "https://sp", Got: "https://other"}, "audience"},
		{"wrapped saml check", fmt.Errorf("acs: %w", &saml.ValidationError{
			Check: saml.CheckReplay, Msg: "already used"}), "replay"},
		{"status", &saml.StatusError{Code: saml.StatusResponder}, "status"},
		{"other", errors.New("profile: no email"), "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)

			require.NoError(t, s.RecordLoginFailure(context.Background(), "okta", tt.err))

			events := st.events()
			require.Len(t, events, 1)
			assert.Equal(t, EventLoginFailed, events[0].Kind)
			assert.Equal(t, tt.reason, events[0].Reason)
			assert.Equal(t, tt.err.Error(), events[0].Detail)
			assert.Equal(t, "okta", events[0].IDP)
		})
	}

	s, _, _ := newTestService(t)
	var ve *ValidationError
	require.ErrorAs(t, s.RecordLoginFailure(context.Background(), "okta", nil), &ve)
}

// auditFixture records events at t0, t0+1m, t0+2m, ...
func auditFixture(t *testing.T) (*Service, []AuditEvent) {
	t.Helper()
	s, st, _ := newTestService(t)
	in := []AuditEvent{
		{Kind: EventLinkOpened, LinkID: "l1", Actor: "a@x.com"},
		{Kind: EventLinkDenied, LinkID: "l1", Actor: "b@x.com", Reason: "not_in_groups"},
		{Kind: EventLinkOpened, LinkID: "l2", Actor: "a@x.com"},
		{Kind: EventLinkRevoked, LinkID: "l1", Actor: "admin@corp.com", Space: "ENG"},
		{Kind: EventSpaceSuspended, Actor: "admin@corp.com", Space: "ENG"},
	}
	for i, e := range in {
		e.Time = t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, s.Record(context.Background(), e))
	}
	return s, st.events()
}

func TestQueryAudit(t *testing.T) {
	s, all := auditFixture(t)
	tests := []struct {
		name string
		f    AuditFilter
		want []int
	}{
		{"everything", AuditFilter{}, []int{0, 1, 2, 3, 4}},
		{"by link", AuditFilter{LinkID: "l1"}, []int{0, 1, 3}},
		{"by viewer", AuditFilter{Actor: "a@x.com"}, []int{0, 2}},
		{"by space", AuditFilter{Space: "ENG"}, []int{3, 4}},
		{"by kind", AuditFilter{Kind: EventLinkDenied}, []int{1}},
		{"since, inclusive", AuditFilter{Since: t0.Add(3 * time.Minute)}, []int{3, 4}},
		{"until, exclusive", AuditFilter{Until: t0.Add(2 * time.Minute)}, []int{0, 1}},
		{"window and link", AuditFilter{LinkID: "l1", Since: t0.Add(time.Minute),
			Until: t0.Add(time.Hour)}, []int{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := s.QueryAudit(context.Background(), tt.f)
			require.NoError(t, err)

			assert.Empty(t, next)
			var want []AuditEvent
			for _, i := range tt.want {
				want = append(want, all[i])
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestCSVCellGuard(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+1+1", "'+1+1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, csvCell(tt.in))
		})
	}
}

func TestWriteAuditCSV(t *testing.T) {
	events := []AuditEvent{
		{ID: "e1", Time: t0, Kind: EventLinkDenied, Actor: "=cmd|'/c calc'!A1", IDP: "okta",
			LinkID: "l1", Space: "ENG", PageID: "102", Reason: "not_in_groups",
			Detail: "This link is for members of \"Partners\",\nsee you"},
	}
	var buf bytes.Buffer

	require.NoError(t, WriteAuditCSV(&buf, events))

	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, auditHeader, rows[0])
	assert.Equal(t, []string{"2026-03-01T12:00:00Z", "link.denied", "'=cmd|'/c calc'!A1", "okta",
		"l1", "ENG", "102", "not_in_groups", "This link is for members of \"Partners\",\nsee you",
		"e1"}, rows[1])
}

func TestExportAuditCSV(t *testing.T) {
	s, all := auditFixture(t)
	var buf bytes.Buffer

	err := s.ExportAuditCSV(context.Background(), &buf,
		AuditFilter{LinkID: "l1", Limit: 2, Cursor: "ignored"})
	require.NoError(t, err)

	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "header and three events over two pages")
	for i, idx := range []int{0, 1, 3} {
		assert.Equal(t, all[idx].ID, rows[i+1][9])
	}
}

func TestExportAuditCSVStoreFailure(t *testing.T) {
	s, st, _ := newTestService(t)
	st.err = errors.New("down")

	err := s.ExportAuditCSV(context.Background(), &bytes.Buffer{}, AuditFilter{})

	require.ErrorIs(t, err, st.err)
}

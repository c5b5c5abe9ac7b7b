package share

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpaceSettingsDefault(t *testing.T) {
	s, _, _ := newTestService(t)

	sp, err := s.SpaceSettings(context.Background(), "ENG")
	require.NoError(t, err)

	assert.Equal(t, Space{Key: "ENG"}, sp)
}

func TestUpdateSpace(t *testing.T) {
	s, st, clk := newTestService(t)
	ctx := context.Background()
	_, err := s.SuspendSpace(ctx, "ENG", "boss@corp.com")
	require.NoError(t, err)
	clk.advance(time.Minute)

	sp, err := s.UpdateSpace(ctx, Space{Key: "ENG", SSOEnforced: true,
		IDPs: []string{" okta ", "okta"}, DefaultLifetime: time.Hour, MaxLifetime: 2 * time.Hour,
		ExcludeLabel: " secret ", Suspended: time.Time{}}, "admin@corp.com")
	require.NoError(t, err)

	assert.Equal(t, []string{"okta"}, sp.IDPs)
	assert.Equal(t, "secret", sp.ExcludeLabel)
	assert.Equal(t, t0, sp.Suspended, "UpdateSpace keeps the kill switch")
	assert.Equal(t, "boss@corp.com", sp.SuspendedBy)
	assert.Equal(t, clk.now, sp.Updated)
	assert.Equal(t, "admin@corp.com", sp.UpdatedBy)
	stored, err := s.SpaceSettings(ctx, "ENG")
	require.NoError(t, err)
	assert.Equal(t, sp, stored)
	events := st.events()
	require.Len(t, events, 2)
	assert.Equal(t, EventSpaceChanged, events[1].Kind)
	assert.Contains(t, events[1].Detail, "sso_enforced=true")
}

func TestUpdateSpaceRefuses(t *testing.T) {
	tests := []struct {
		name  string
		sp    Space
		field string
	}{
		{"no key", Space{}, "Key"},
		{"negative default", Space{Key: "ENG", DefaultLifetime: -1}, "DefaultLifetime"},
		{"negative maximum", Space{Key: "ENG", MaxLifetime: -1}, "MaxLifetime"},
		{"default over maximum", Space{Key: "ENG", DefaultLifetime: 2 * time.Hour,
			MaxLifetime: time.Hour}, "DefaultLifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)

			_, err := s.UpdateSpace(context.Background(), tt.sp, "admin@corp.com")

			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.Empty(t, st.spaces)
		})
	}
}

func TestKillSwitch(t *testing.T) {
	s, st, clk := newTestService(t)
	ctx := context.Background()
	l, token, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)

	sp, err := s.SuspendSpace(ctx, "ENG", "boss@corp.com")
	require.NoError(t, err)
	assert.Equal(t, t0, sp.Suspended)
	_, d, err := s.Open(ctx, token, viewer(), childPage)
	require.NoError(t, err)
	assert.Equal(t, ReasonSpaceSuspended, d.Reason)
	stored, err := s.Link(ctx, l.ID)
	require.NoError(t, err)
	assert.Equal(t, l, stored, "suspension changes no link")

	clk.advance(time.Minute)
	again, err := s.SuspendSpace(ctx, "ENG", "other@corp.com")
	require.NoError(t, err)
	assert.Equal(t, sp, again, "suspending twice changes nothing")

	sp, err = s.ResumeSpace(ctx, "ENG", "boss@corp.com")
	require.NoError(t, err)
	assert.True(t, sp.Suspended.IsZero())
	_, d, err = s.Open(ctx, token, viewer(), childPage)
	require.NoError(t, err)
	assert.True(t, d.Allowed())

	var kinds []EventKind
	for _, e := range st.events() {
		kinds = append(kinds, e.Kind)
	}
	assert.Equal(t, []EventKind{EventLinkCreated, EventSpaceSuspended, EventLinkDenied,
		EventSpaceResumed, EventLinkOpened}, kinds)

	_, err = s.SuspendSpace(ctx, "", "boss@corp.com")
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
}

func TestSSOEnforcedOverridesAnonymousLink(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	spec := treeSpec()
	spec.Policy = Policy{Anonymous: true}
	_, token, err := s.CreateLink(ctx, spec)
	require.NoError(t, err)
	_, d, err := s.Open(ctx, token, nil, childPage)
	require.NoError(t, err)
	require.True(t, d.Allowed())

	_, err = s.UpdateSpace(ctx, Space{Key: "ENG", SSOEnforced: true, IDPs: []string{"okta"}},
		"admin@corp.com")
	require.NoError(t, err)
	_, d, err = s.Open(ctx, token, nil, childPage)
	require.NoError(t, err)

	assert.Equal(t, LoginRequired, d.Outcome)
	assert.Equal(t, "okta", d.IDP)
}

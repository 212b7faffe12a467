package access_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/access"
	"parcours/internal/fault"
)

var (
	orgA = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	orgB = uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	me   = uuid.MustParse("00000000-0000-0000-0000-000000000001")
)

func TestDenyByDefault(t *testing.T) {
	staff := access.Actor{UserID: me, Kind: access.Staff, MFA: true}
	if err := access.Can(staff, access.Action("nouvelle.action"), access.Resource{}); !errors.Is(err, fault.Forbidden) {
		t.Fatalf("unknown action allowed to staff: %v", err)
	}
	if err := access.Can(access.Actor{}, access.ViewOrganisation, access.Resource{Member: true}); !errors.Is(err, fault.Unauthenticated) {
		t.Fatalf("anonymous: %v", err)
	}
}

func TestRules(t *testing.T) {
	admin := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, OrgAdmin: true, Role: access.Employer}
	member := admin
	member.OrgAdmin = false
	ddets := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgB, Role: access.InstitutionAgent, InstitutionScope: "DDETS_IAE", OrgDepartement: "69"}
	dreets := ddets
	dreets.InstitutionScope = "DREETS_IAE"
	staffNoMFA := access.Actor{UserID: me, Kind: access.Staff}
	prescriber69 := access.Resource{OrgID: orgA, OrgCategory: "prescriber", OrgDepartement: "69"}
	for _, tc := range []struct {
		name  string
		actor access.Actor
		act   access.Action
		res   access.Resource
		want  bool
	}{
		{"admin manages own members", admin, access.ManageMembers, access.Resource{OrgID: orgA, Member: true}, true},
		{"admin of A cannot manage B", admin, access.ManageMembers, access.Resource{OrgID: orgB, Member: false}, false},
		{"admin acting for A cannot manage B even as member of B", admin, access.ManageMembers, access.Resource{OrgID: orgB, Member: true}, false},
		{"member cannot manage", member, access.ManageMembers, access.Resource{OrgID: orgA, Member: true}, false},
		{"member views own org", member, access.ViewOrganisation, access.Resource{OrgID: orgA, Member: true}, true},
		{"non-member cannot view", member, access.ViewOrganisation, access.Resource{OrgID: orgB}, false},
		{"DDETS decides in its département", ddets, access.DecideHabilitation, prescriber69, true},
		{"DDETS not elsewhere", ddets, access.DecideHabilitation, access.Resource{OrgID: orgA, OrgCategory: "prescriber", OrgDepartement: "13"}, false},
		{"DDETS only for prescribers", ddets, access.DecideHabilitation, access.Resource{OrgID: orgA, OrgCategory: "siae", OrgDepartement: "69"}, false},
		{"DREETS does not decide", dreets, access.DecideHabilitation, prescriber69, false},
		{"staff without MFA has no staff power", staffNoMFA, access.DecideHabilitation, prescriber69, false},
		{"staff without MFA cannot manage users", staffNoMFA, access.StaffManageUsers, access.Resource{}, false},
		{"own account", member, access.ManageOwnAccount, access.Resource{OwnerID: me}, true},
		{"someone else's account", member, access.ManageOwnAccount, access.Resource{OwnerID: uuid.New()}, false},
		{"job seeker cannot create", access.Actor{UserID: me, Kind: access.JobSeeker}, access.CreateOrganisation, access.Resource{OrgCategory: "siae"}, false},
		{"professional cannot create a DDETS", member, access.CreateOrganisation, access.Resource{OrgCategory: "institution"}, false},
		{"nobody joins a State service by request", member, access.RequestToJoin, access.Resource{OrgID: orgB, OrgCategory: "institution"}, false},
		{"switch only to a membership", member, access.SwitchOrganisation, access.Resource{OrgID: orgB}, false},
	} {
		if got := access.Allowed(tc.actor, tc.act, tc.res); got != tc.want {
			t.Errorf("%s: allowed=%v, want %v", tc.name, got, tc.want)
		}
	}
}

// Whatever the resource, an anonymous actor gets nothing and staff without MFA get nothing a
// plain professional would not.
func TestNoRuleGrantsAnonymousOrUnverifiedStaff(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		res := access.Resource{
			OrgID:          rapid.SampledFrom([]uuid.UUID{uuid.Nil, orgA, orgB}).Draw(t, "org"),
			OrgCategory:    rapid.SampledFrom([]string{"", "siae", "geiq", "prescriber", "institution", "financer"}).Draw(t, "category"),
			OrgDepartement: rapid.SampledFrom([]string{"", "69", "13"}).Draw(t, "dept"),
			OwnerID:        rapid.SampledFrom([]uuid.UUID{uuid.Nil, me}).Draw(t, "owner"),
			Member:         rapid.Bool().Draw(t, "member"),
		}
		for _, act := range access.Actions() {
			if access.Allowed(access.Actor{}, act, res) {
				t.Fatalf("anonymous allowed %s on %+v", act, res)
			}
			staffNoMFA := access.Actor{UserID: me, Kind: access.Staff, MFA: false}
			if access.Allowed(staffNoMFA, act, res) && act != access.ManageOwnAccount {
				t.Fatalf("staff without MFA allowed %s on %+v", act, res)
			}
		}
	})
}

func TestOfferRules(t *testing.T) {
	employer := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, Role: access.Employer}
	admin := employer
	admin.OrgAdmin = true
	actingForB := employer
	actingForB.OrgID = orgB
	prescriber := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, Role: access.AuthorizedPrescriber}
	staff := access.Actor{UserID: me, Kind: access.Staff, MFA: true}
	staffNoMFA := access.Actor{UserID: me, Kind: access.Staff}
	jobSeeker := access.Actor{UserID: me, Kind: access.JobSeeker}
	siaeA := access.Resource{OrgID: orgA, OrgCategory: "siae", Member: true}
	geiqA := access.Resource{OrgID: orgA, OrgCategory: "geiq", Member: true}
	siaeB := access.Resource{OrgID: orgB, OrgCategory: "siae"}
	for _, act := range []access.Action{access.EditStructure, access.ManageJobDescriptions} {
		for _, tc := range []struct {
			name  string
			actor access.Actor
			res   access.Resource
			want  bool
		}{
			{"member acting for the SIAE", employer, siaeA, true},
			{"member acting for the GEIQ", employer, geiqA, true},
			{"admin acting for it", admin, siaeA, true},
			{"no longer a member", employer, access.Resource{OrgID: orgA, OrgCategory: "siae", Member: false}, false},
			{"another structure", employer, siaeB, false},
			{"member of A acting for B", actingForB, siaeA, false},
			{"a prescriber organisation has no public page", prescriber, access.Resource{OrgID: orgA, OrgCategory: "prescriber", Member: true}, false},
			{"staff with MFA", staff, siaeB, true},
			{"staff only on structures", staff, access.Resource{OrgID: orgB, OrgCategory: "prescriber"}, false},
			{"staff without MFA", staffNoMFA, siaeB, false},
			{"job seeker", jobSeeker, siaeA, false},
			{"anonymous", access.Actor{}, siaeA, false},
		} {
			if got := access.Allowed(tc.actor, act, tc.res); got != tc.want {
				t.Errorf("%s, %s: allowed=%v, want %v", act, tc.name, got, tc.want)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		actor access.Actor
		res   access.Resource
		want  bool
	}{
		{"staff imports the registry", staff, access.Resource{}, true},
		{"staff changes a structure", staff, siaeB, true},
		{"staff without MFA", staffNoMFA, access.Resource{}, false},
		{"employers do not change the registry", admin, siaeA, false},
		{"not for prescribers", staff, access.Resource{OrgID: orgB, OrgCategory: "prescriber"}, false},
	} {
		if got := access.Allowed(tc.actor, access.ManageStructureRegistry, tc.res); got != tc.want {
			t.Errorf("%s, %s: allowed=%v, want %v", access.ManageStructureRegistry, tc.name, got, tc.want)
		}
	}
}

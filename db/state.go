package db

// State is where a report stands. Open states move forward; closed states are
// outcomes a triager can reopen.
type State string

// The report states (see ARCHITECTURE.md, "States").
const (
	StateNew           State = "new"
	StateTriaged       State = "triaged"
	StateNeedsInfo     State = "needs_info"
	StateResolved      State = "resolved"
	StateDisclosed     State = "disclosed"
	StateDuplicate     State = "duplicate"
	StateInformative   State = "informative"
	StateNotApplicable State = "not_applicable"
	StateOutOfScope    State = "out_of_scope"
	StateSpam          State = "spam"
	StateWontFix       State = "wont_fix"
)

// States lists every state in the order the dashboard shows them.
var States = []State{StateNew, StateTriaged, StateNeedsInfo, StateResolved, StateDisclosed,
	StateDuplicate, StateInformative, StateNotApplicable, StateOutOfScope, StateSpam, StateWontFix}

var closedStates = []State{StateDuplicate, StateInformative, StateNotApplicable, StateOutOfScope, StateSpam, StateWontFix}

// transitions is the one table of allowed moves; everything not listed is
// refused. needs_info returns to the state it came from when the reporter
// answers; that automatic move is also listed here.
var transitions = map[State][]State{
	StateNew:       append([]State{StateTriaged, StateNeedsInfo}, closedStates...),
	StateTriaged:   append([]State{StateNeedsInfo, StateResolved}, closedStates...),
	StateNeedsInfo: append([]State{StateNew, StateTriaged, StateResolved}, closedStates...),
	StateResolved:  {StateTriaged, StateNeedsInfo, StateDisclosed},
	StateDisclosed: {},
}

func init() {
	for _, s := range closedStates {
		transitions[s] = []State{StateNew, StateTriaged} // reopen
	}
}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Closed reports whether s is a closed outcome.
func (s State) Closed() bool {
	for _, c := range closedStates {
		if s == c {
			return true
		}
	}
	return false
}

// CanMoveTo reports whether the table allows s → to.
func (s State) CanMoveTo(to State) bool {
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Next lists the states s may move to.
func (s State) Next() []State { return append([]State(nil), transitions[s]...) }

package engine

// Steps of a move, reported to the test hook.
const (
	stepJournaled = "journaled"
	stepCopied    = "copied"
	stepRecorded  = "recorded"
	stepDeleted   = "deleted"
)

// hook reports a step of a move to the test hook, if any.
func (m *Engine) hook(step string) {
	if m.onStep != nil {
		m.onStep(step)
	}
}

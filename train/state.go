package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// StateFile is the name of the trainer state in the output folder and in
// every checkpoint, as in HF.
const StateFile = "trainer_state.json"

// MetricsLogFile is the JSONL log: one line per log_history entry, written
// as training goes so `tail -f` works.
const MetricsLogFile = "metrics.jsonl"

// LogEntry is one log_history record: training logs carry loss,
// learning_rate, grad_norm; evaluations carry eval_* keys; every entry has
// step and epoch. Values are numbers, as in HF.
type LogEntry map[string]float64

// State is HF's TrainerState (trainer_state.json), field for field where
// it applies to a single process, so tools that read HF output read ours.
type State struct {
	BestMetric          *float64   `json:"best_metric"`
	BestModelCheckpoint *string    `json:"best_model_checkpoint"`
	Epoch               float64    `json:"epoch"`
	EvalSteps           int        `json:"eval_steps"`
	GlobalStep          int        `json:"global_step"`
	IsHyperParamSearch  bool       `json:"is_hyper_param_search"`
	IsLocalProcessZero  bool       `json:"is_local_process_zero"`
	IsWorldProcessZero  bool       `json:"is_world_process_zero"`
	LogHistory          []LogEntry `json:"log_history"`
	LoggingSteps        int        `json:"logging_steps"`
	MaxSteps            int        `json:"max_steps"`
	NumInputTokensSeen  int64      `json:"num_input_tokens_seen"`
	NumTrainEpochs      int        `json:"num_train_epochs"`
	SaveSteps           int        `json:"save_steps"`
	// StatefulCallbacks holds the early-stopping counter in HF's shape:
	// {"EarlyStoppingCallback": {"args": {...}, "attributes":
	// {"early_stopping_patience_counter": n}}}.
	StatefulCallbacks map[string]CallbackState `json:"stateful_callbacks"`
	TotalFlos         float64                  `json:"total_flos"`
	TrainBatchSize    int                      `json:"train_batch_size"`
	TrialName         *string                  `json:"trial_name"`
	TrialParams       map[string]any           `json:"trial_params"`
}

// CallbackState is one entry of stateful_callbacks.
type CallbackState struct {
	Args       map[string]any     `json:"args"`
	Attributes map[string]float64 `json:"attributes"`
}

const earlyStoppingKey = "EarlyStoppingCallback"

// patienceCounter returns the early-stopping counter stored in the state.
func (s *State) patienceCounter() int {
	cb, ok := s.StatefulCallbacks[earlyStoppingKey]
	if !ok {
		return 0
	}
	return int(cb.Attributes["early_stopping_patience_counter"])
}

func (s *State) setPatienceCounter(a *Args, n int) {
	if s.StatefulCallbacks == nil {
		s.StatefulCallbacks = map[string]CallbackState{}
	}
	s.StatefulCallbacks[earlyStoppingKey] = CallbackState{
		Args: map[string]any{
			"early_stopping_patience":  a.EarlyStoppingPatience,
			"early_stopping_threshold": a.EarlyStoppingThreshold,
		},
		Attributes: map[string]float64{"early_stopping_patience_counter": float64(n)},
	}
}

// SaveState writes s to path atomically (indented and key-sorted like HF's
// json.dumps(indent=2, sort_keys=True)).
func SaveState(path string, s *State) error {
	if s.LogHistory == nil {
		s.LogHistory = []LogEntry{}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// LoadState reads a trainer_state.json.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// writeMetricsLog rewrites the JSONL log from a log history (on resume, so
// the log matches the checkpoint exactly instead of carrying entries from
// the interrupted run past it).
func writeMetricsLog(path string, hist []LogEntry) error {
	var buf bytes.Buffer
	for _, e := range hist {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// appendMetricsLog appends one entry to the JSONL log. Appends of one
// short line are not torn in practice; the log is also recoverable from
// trainer_state.json.
func appendMetricsLog(path string, e LogEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// The scenario actions, one table: each action's name, the fields it takes,
// the outcomes it can have, the name it defines, its line in
// docs/scenarios.md and the function that runs it. Parsing, checking,
// running and the docs all read this table, so adding a step is one row
// and one run function.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/step_params.h"

namespace iommu_sim {

class StepRunner;

// What a step's `expect` may say besides "any".
enum class Outcomes : std::uint8_t {
  Errno,     // ok or an errno name: a host call
  Dma,       // ok, unsupported_request or completer_abort: how a DMA completed
  Compared,  // ok: the step reads something and compares it with its list
};

// The kinds of names steps define and refer to. IOASes and HWPTs share
// iommufd's one ID space, so "to" takes either.
enum class NameKind : std::uint8_t { None, Context, Ioas, Hwpt, Table, Iova };

// Runs a step on the platform; says what it did in `what` and returns the
// outcome ("ok", "EPERM: <message>", "unsupported_request", ...).
using RunStep = std::string (*)(StepRunner& runner, const StepParams& step, std::string& what);
// Reports a problem with a field of the step being checked.
using StepFail = std::function<void(std::string_view field, const std::string& why)>;
// An action's own checks before anything runs, beyond fields, names and
// outcomes (a DMA's alignment, a fault reason's form).
using CheckStep = void (*)(const StepParams& step, const StepFail& fail);

struct Action {
  std::string_view name;
  std::vector<std::string_view> required, optional;
  Outcomes outcomes = Outcomes::Errno;
  // The field that names what the step creates, and the kind of name.
  std::string_view defines_field;
  NameKind defines = NameKind::None;
  std::string_view does;  // docs/scenarios.md
  RunStep run = nullptr;
  CheckStep check = nullptr;
};

// Every action, in the order docs/scenarios.md lists them.
std::span<const Action> actions();
// Nullptr when no action has that name.
const Action* find_action(std::string_view name);
bool takes(const Action& a, std::string_view field);

// The table of docs/scenarios.md's "Steps" section, generated from the
// actions and the fields' declarations (defaults in brackets).
std::string actions_markdown();

}  // namespace iommu_sim

#include "model/stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace iommu_sim {

void Histogram::record_new_value(std::uint64_t value) {
  const auto it = bins_.find(value);
  if (it != bins_.end()) {
    last_count_ = &it->second;
    last_value_ = value;
    ++*last_count_;
    return;
  }
  pending_.push_back(value);
  // A batch of an eighth of the bins keeps a merge's cost, linear in the
  // bins, at a constant per sample.
  if (pending_.size() >= 64 + bins_.size() / 8) merge_pending();
}

void Histogram::merge_pending() const {
  if (pending_.empty()) return;
  std::sort(pending_.begin(), pending_.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> fresh;
  for (const std::uint64_t v : pending_) {
    if (!fresh.empty() && fresh.back().first == v) {
      ++fresh.back().second;
    } else {
      fresh.emplace_back(v, 1);
    }
  }
  pending_.clear();
  // None of them is in the bins (record_new_value looked), so the sorted
  // unique range merges in one pass.
  bins_.insert(boost::container::ordered_unique_range, fresh.begin(), fresh.end());
  last_count_ = nullptr;
}

const boost::container::flat_map<std::uint64_t, std::uint64_t>& Histogram::values() const {
  merge_pending();
  return bins_;
}

std::uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (const auto& [value, n] : values()) {
    seen += n;
    if (seen >= rank) return value;
  }
  return bins_.rbegin()->first;
}

void Histogram::reset() {
  bins_.clear();
  pending_.clear();
  count_ = 0;
  sum_ = 0;
  last_value_ = 0;
  last_count_ = nullptr;
}

void StatsRegistry::claim(const std::string& name) {
  // A duplicate name is a programming error in a block, never user input.
  if (counters_.contains(name) || histograms_.contains(name) || derived_.contains(name)) {
    throw std::logic_error("statistic registered twice: " + name);
  }
}

void StatsRegistry::counter(std::string name, std::uint64_t* value, std::string_view doc) {
  claim(name);
  counters_.emplace(std::move(name), Counter{value, std::string(doc)});
}

void StatsRegistry::histogram(std::string name, Histogram* h, std::string_view unit,
                              std::string_view doc, double scale) {
  claim(name);
  histograms_.emplace(std::move(name),
                      HistogramEntry{h, std::string(unit), std::string(doc), scale});
}

void StatsRegistry::derived(std::string name, std::function<double()> fn, std::string_view doc) {
  claim(name);
  derived_.emplace(std::move(name), DerivedEntry{std::move(fn), std::string(doc)});
}

void StatsRegistry::on_restart(std::function<void(std::uint64_t)> hook) {
  restart_hooks_.push_back(std::move(hook));
}

void StatsRegistry::restart(std::uint64_t epoch_ps) {
  for (auto& [name, c] : counters_) {
    c.before_restart += *c.value;
    *c.value = 0;
  }
  for (auto& [name, e] : histograms_) e.h->reset();
  epoch_ps_ = epoch_ps;
  restarted_ = true;
  for (const auto& hook : restart_hooks_) hook(epoch_ps);
}

void StatsRegistry::at_work_done(std::uint64_t at, std::function<void()> fn) {
  trigger_at_ = at;
  trigger_ = std::move(fn);
}

nlohmann::json StatsRegistry::to_json() const {
  // std::map keeps names sorted, and nlohmann::json objects are sorted too,
  // so the same run always writes the same bytes.
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, e] : counters_) out[name] = *e.value;
  for (const auto& [name, e] : derived_) out[name] = e.fn();
  for (const auto& [name, e] : histograms_) {
    const Histogram& h = *e.h;
    const double s = e.scale;
    out[name] = {
        {"unit", e.unit},
        {"count", h.count()},
        {"mean", h.mean() / s},
        {"min", static_cast<double>(h.min()) / s},
        {"p50", static_cast<double>(h.percentile(0.50)) / s},
        {"p90", static_cast<double>(h.percentile(0.90)) / s},
        {"p99", static_cast<double>(h.percentile(0.99)) / s},
        {"max", static_cast<double>(h.max()) / s},
        {"bins", bins_json(bin_histogram(h.values(), binning_), s)},
    };
  }
  return out;
}

std::map<std::string, std::string> StatsRegistry::descriptions() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, e] : counters_) out[name] = e.doc;
  for (const auto& [name, e] : derived_) out[name] = e.doc;
  for (const auto& [name, e] : histograms_) out[name] = e.doc + " (" + e.unit + ")";
  return out;
}

std::uint64_t StatsRegistry::counter_value(const std::string& name) const {
  auto it = counters_.find(name);
  if (it == counters_.end()) throw std::out_of_range("no counter named " + name);
  return *it->second.value;
}

const StatsRegistry::Counter* StatsRegistry::find_counter(const std::string& name) const {
  auto it = counters_.find(name);
  return it == counters_.end() ? nullptr : &it->second;
}

std::vector<std::string> StatsRegistry::counter_names() const {
  std::vector<std::string> out;
  out.reserve(counters_.size());
  for (const auto& [name, c] : counters_) out.push_back(name);
  return out;
}

const Histogram* StatsRegistry::find_histogram(const std::string& name) const {
  auto it = histograms_.find(name);
  return it == histograms_.end() ? nullptr : it->second.h;
}

}  // namespace iommu_sim

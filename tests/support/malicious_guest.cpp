#include "tests/support/malicious_guest.h"

#include <algorithm>
#include <array>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <limits>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "model/hex.h"
#include "model/trace.h"
#include "tests/support/dma_probe.h"

namespace iommu_sim::test {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kGuestRam = 8ull << 20;  // GPA [0, 8 MiB), the second-level mapping
constexpr std::uint64_t kWindow = 0x100000, kWindowBytes = 256 << 10;
constexpr std::uint64_t kSlot = 64;  // DMA size, so no DMA crosses a page

PlatformConfig attack_config(std::uint64_t seed) {
  PlatformConfig c = default_config_without_workloads();
  c.seed = seed;
  // Even seeds walk every level: nested walks read fl x (sl + 1) + sl
  // entries each.
  if (seed % 2 == 0) disable_paging_structure_caches(c);
  // Every other pair of seeds with a host address width of 52 bits: there
  // a garbage address between 2^46 and 2^52 is no reserved bit (VT-d spec
  // 9.8) but a guest-physical address the second level must refuse.
  if (seed / 2 % 2 == 1) c.iommu.host_address_width = 52;
  c.pcie.endpoints = {{.name = "guest_nic"}, {.name = "victim_nic"}};
  c.address_spaces = {
      {.name = "guest_ram",
       .translation = "second_level",
       .mappings = {{.iova = 0, .size = kGuestRam}}},
      {.name = "guest_iova",
       .translation = "nested_hwpt",
       .parent = "guest_ram",
       .mappings = {{.iova = kWindow, .size = kWindowBytes}}},
      {.name = "victim_iova", .mappings = {{.iova = kWindow, .size = kWindowBytes}}}};
  c.attach = {{"guest_nic", 1, "guest_iova"}};
  return c;
}

class Dice {
 public:
  explicit Dice(std::uint64_t seed) : rng_(seed) {}
  std::uint64_t below(std::uint64_t n) {
    return boost::random::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }
  std::uint64_t any() { return boost::random::uniform_int_distribution<std::uint64_t>()(rng_); }
  bool percent(unsigned p) { return below(100) < p; }
  template <class T, std::size_t N>
  T one_of(const std::array<T, N>& a) {
    return a[below(N)];
  }

 private:
  boost::random::mt19937_64 rng_;
};

// Forwards to the oracle and keeps the address the attacker's DMA in
// flight went to.
class Landings : public TranslationObserver {
 public:
  Landings(TranslationObserver& oracle, std::uint16_t attacker)
      : oracle_(oracle), attacker_(attacker) {}
  void translated(const TranslationRequest& request, const TranslationResult& result) override {
    oracle_.translated(request, result);
    if (request.source_id == attacker_) last_ = result.address;
  }
  void landed(const TranslationRequest& request, const TranslationResult& result,
              std::uint64_t translated_ps) override {
    oracle_.landed(request, result, translated_ps);
  }
  std::optional<std::uint64_t> take() { return std::exchange(last_, std::nullopt); }

 private:
  TranslationObserver& oracle_;
  std::uint16_t attacker_;
  std::optional<std::uint64_t> last_;
};

// The IOMMU's walk and fault events of the two requesters, each of which
// has one DMA in flight at a time.
class WalkWatch : public trace::Sink {
 public:
  struct Requester {
    std::uint64_t reads = 0, max_reads = 0, walks = 0, max_walks_per_dma = 0;
    std::vector<std::uint8_t> faults;
    std::vector<std::uint64_t> ad_writes;  // addresses the walker set A/D at
  };
  WalkWatch(std::uint16_t attacker, std::uint16_t victim)
      : attacker_(attacker), victim_(victim), subscription_(*this, kMask) {}
  Requester attacker, victim;

  void event(const trace::Event& e) override {
    Requester* r = e.requester == attacker_ ? &attacker
                   : e.requester == victim_ ? &victim
                                            : nullptr;
    if (r == nullptr) return;
    if (e.what == "walk.begin") {
      r->reads = 0;
      ++r->walks;
    } else if (e.what == "fl.read" || e.what == "sl.read") {
      ++r->reads;
    } else if (e.what == "walk.end") {
      r->max_reads = std::max(r->max_reads, r->reads);
    } else if (e.what == "walk.ad_update") {
      r->ad_writes.push_back(field(e, "address"));
    } else if (e.what == "fault") {
      const auto reason = static_cast<std::uint8_t>(field(e, "reason"));
      r->faults.push_back(reason);
      // A paging-entry read that failed ended the walk without a trace.
      if (reason == 0x70 || reason == 0x78) r->max_reads = std::max(r->max_reads, r->reads + 1);
    }
  }

 private:
  static constexpr std::uint32_t kMask =
      trace::bit(trace::Category::Walk) | trace::bit(trace::Category::Fault);
  static std::uint64_t field(const trace::Event& e, std::string_view name) {
    for (const auto& [n, v] : e.fields) {
      if (n == name) return v;
    }
    ADD_FAILURE() << "event " << e.what << " has no field " << name;
    return 0;
  }
  std::uint16_t attacker_, victim_;
  trace::Subscription subscription_;
};

// What the attacker's memory is to the host: the host-physical page of
// each of its guest-physical pages, and where its table and data start.
struct GuestMemory {
  std::vector<std::uint64_t> hpa;
  std::set<std::uint64_t> pages;
  std::uint64_t table_pages = 0, data_gpa = 0, root_gpa = 0;
  std::vector<std::uint64_t> snapshot;  // the table pages as the platform wrote them
};

// Addresses outside the guest a garbage entry may point at.
struct Targets {
  std::vector<std::uint64_t> host;  // the host's tables, the victim's table and data
  std::uint64_t bar_window = 0;
};

std::uint64_t garbage_flags(Dice& d) {
  std::uint64_t f = 0;
  if (d.percent(90)) f |= 1ull << 0;        // P
  if (d.percent(70)) f |= 1ull << 1;        // R/W
  if (d.percent(85)) f |= 1ull << 2;        // U/S
  if (d.percent(50)) f |= 1ull << 5;        // A: else the walker sets it, in guest memory
  if (d.percent(50)) f |= 1ull << 6;        // D
  if (d.percent(15)) f |= 1ull << 7;        // PS: a large page, reserved in a PML4E
  if (d.percent(10)) f |= 1ull << 63;       // XD
  if (d.percent(20)) f |= d.below(8) << 9;  // ignored bits 11:9
  if (d.percent(10)) f |= 1ull << (13 + d.below(17));  // reserved in 2 MiB / 1 GiB leaves
  if (d.percent(10)) f |= 1ull << (52 + d.below(11));  // bits 62:52
  return f;
}

std::uint64_t garbage_entry(Dice& d, const GuestMemory& g, const Targets& t) {
  constexpr std::uint64_t kAddress = ((1ull << 52) - 1) & ~(kPage - 1);
  std::uint64_t to = 0;
  switch (d.below(9)) {
    case 0:
      return d.any();  // random bits
    case 1:
      to = d.below(g.table_pages) * kPage;  // its own tables: self references, loops
      break;
    case 2:
      to = d.below(kGuestRam / kPage) * kPage;  // anywhere in its memory
      break;
    case 3:
      to = g.data_gpa + d.below(kWindowBytes / kPage) * kPage;  // a sane leaf
      break;
    case 4:
      to = kGuestRam + d.below(1ull << 20) * kPage;  // guest-physical beyond its memory
      break;
    case 5:
      to = t.host[d.below(t.host.size())];  // where the host keeps others' tables and data
      break;
    case 6:
      // The interrupt window (VT-d spec 5.1.4), a VT-d unit's registers
      // where firmware usually puts them, the PCIe BAR window.
      to =
          d.one_of(std::array<std::uint64_t, 3>{0xFEE00000ull + d.below(256) * kPage, 0xFED90000ull,
                                                t.bar_window + d.below(256) * kPage});
      break;
    case 7:
      to = (1ull << 46) + d.below(1ull << 30) * kPage;  // beyond memory and the second level
      break;
    default:
      to = d.below(1ull << 40) * kPage;  // anywhere below 2^52
      break;
  }
  return (to & kAddress) | garbage_flags(d);
}

// An IOVA the attacker's DMA uses: in the window the guest mapped, through
// table slots the garbage tends to hit, in the interrupt window, or raw.
std::uint64_t attacker_iova(Dice& d) {
  const std::uint64_t offset = d.below(kPage / kSlot) * kSlot;
  const std::uint64_t r = d.below(100);
  if (r < 35) return kWindow + d.below(kWindowBytes / kPage) * kPage + offset;
  if (r < 85) {
    std::uint64_t iova = 0;
    for (unsigned level = 4; level >= 1; --level) {
      const std::uint64_t pick = d.below(10);
      const std::uint64_t index = pick < 4 ? (level == 1 ? 256 + d.below(64) : 0)
                                  : pick < 7
                                      ? d.one_of(std::array<std::uint64_t, 5>{0, 1, 2, 3, 511})
                                      : d.below(512);
      iova |= index << (12 + 9 * (level - 1));
    }
    if ((iova >> 47) & 1) iova |= ~0ull << 48;  // canonical (VT-d spec 3.6.1)
    return iova | offset;
  }
  if (r < 92) return 0xFEE00000 + d.below(256) * kPage + offset;
  return d.any() & ~(kSlot - 1);  // mostly non-canonical
}

// A user invalidation (iommu_hwpt_vtd_s1_invalidate), valid or not.
UserInvalidation garbage_invalidation(Dice& d) {
  UserInvalidation inv;
  switch (d.below(8)) {
    case 0:
      break;  // everything
    case 1:
    case 2:
      inv.addr = attacker_iova(d) & ~(kPage - 1);
      inv.npages = 1 + d.below(512);
      break;
    case 3:
      inv.addr = d.below(1ull << 36) * kPage;
      inv.npages = 1ull << d.below(40);
      break;
    case 4:
      inv.addr = (d.any() & ~(kPage - 1)) | (1 + d.below(kPage - 1));  // unaligned
      inv.npages = 1 + d.below(16);
      break;
    case 5:
      inv.addr = d.below(1ull << 36) * kPage;
      inv.npages = 0;
      break;
    case 6:
      inv.addr = 1ull << 63;
      inv.npages = 1ull << 52;  // past 2^64
      break;
    default:
      inv.addr = d.any();
      inv.npages = d.any();
      break;
  }
  inv.leaf = d.percent(50);
  const std::uint64_t l = d.below(10);
  inv.label = l < 7 ? "" : l < 8 ? "guest_nic" : l < 9 ? "victim" : "x";
  if (const std::uint64_t p = d.below(10); p == 7) {
    inv.pasid = 1;
  } else if (p > 7) {
    inv.pasid = d.one_of(std::array<std::uint32_t, 4>{0, 2, 1u << 20, ~0u});
  }
  return inv;
}

// What IoasidManager::invalidate_hwpt documents for the attacker's own
// HWPT, attached as (guest_nic, PASID 1) in the platform's context.
int expected_errno(const UserInvalidation& inv) {
  // intel_nested_cache_invalidate_user: an aligned addr, and "everything"
  // (npages ~0) only from 0; the simulator also refuses an empty range and
  // one past 2^64 (docs/errno.md).
  const bool everything = inv.npages == std::numeric_limits<std::uint64_t>::max();
  if (inv.addr % kPage != 0 || (everything && inv.addr != 0) || inv.npages == 0) return EINVAL;
  if (!everything && inv.npages > (std::numeric_limits<std::uint64_t>::max() - inv.addr) / kPage) {
    return EINVAL;
  }
  if (!inv.label.empty() && inv.label != "guest_nic") return ENOENT;  // "victim": another context's
  if (inv.pasid && *inv.pasid != 1) return ENOENT;
  return 0;
}

std::string describe(const UserInvalidation& inv) {
  return "addr " + hex(inv.addr) + " npages " + hex(inv.npages) + " label '" + inv.label +
         "' pasid " + (inv.pasid ? std::to_string(*inv.pasid) : "any");
}

GuestMemory guest_memory(Platform& p, const PlatformConfig& c) {
  IoasidManager& m = p.manager();
  GuestMemory g;
  const IoasId ram = p.ioas("guest_ram");
  for (std::uint64_t gpa = 0; gpa < kGuestRam; gpa += kPage) {
    g.hpa.push_back(*m.physical(ram, gpa));
    g.pages.insert(g.hpa.back());
  }
  // The platform lays the guest's table out from the start of its memory
  // and its mapped pages right after (Platform::build_guest_owned).
  g.table_pages = guest_table_bytes(c.address_spaces[1]) / kPage;
  g.data_gpa = g.table_pages * kPage;
  g.root_gpa = m.page_table_root(p.ioas("guest_iova"));
  for (std::uint64_t i = 0; i < g.table_pages * 512; ++i) {
    g.snapshot.push_back(p.host_bus().read64(g.hpa[i / 512] + i % 512 * 8));
  }
  return g;
}

struct Run {
  TestBench& tb;
  Platform& p;
  IoasidManager& m;
  WalkWatch& watch;
  Landings& landings;
  GuestMemory g;
  Targets targets;
  ContextId victim_ctx = 0;
  int threads_done = 0;
  AttackOutcome out;

  // The guest writes its memory (a CPU store) and, as GuestPageTable does,
  // tells the oracle its table may have changed anywhere, table pointers
  // included, until it invalidates.
  void guest_changes_its_table() { m.user_table_changed(g.root_gpa, 0, ~0ull, true); }
  void guest_write(std::uint64_t gpa, std::uint64_t value) {
    p.host_bus().write64(g.hpa[gpa / kPage] + gpa % kPage, value);
  }

  void guest(Dice d) {
    const HwptId hwpt = p.ioas("guest_iova");
    const ContextId ctx = p.attach_context();
    for (std::uint64_t op = 0; op < kGuestOps; ++op) {
      sc_core::wait(static_cast<double>(d.below(1500)), sc_core::SC_NS);
      const std::uint64_t r = d.below(100);
      if (r < 60) {
        const std::uint64_t page =
            d.percent(80) ? d.below(g.table_pages) : d.below(kGuestRam / kPage);
        const std::uint64_t pick = d.below(10);
        const std::uint64_t index = pick < 4
                                        ? d.one_of(std::array<std::uint64_t, 5>{0, 1, 2, 3, 511})
                                    : pick < 7 ? 256 + d.below(64)
                                               : d.below(512);
        guest_changes_its_table();
        guest_write(page * kPage + index * 8, garbage_entry(d, g, targets));
      } else if (r < 63) {
        // The guest reboots: its table as the platform wrote it.
        guest_changes_its_table();
        for (std::uint64_t i = 0; i < g.snapshot.size(); ++i) guest_write(i * 8, g.snapshot[i]);
      } else {
        // A burst of invalidations back to back, or one.
        const std::uint64_t n = r < 68 ? 8 : 1;
        for (std::uint64_t k = 0; k < n; ++k) {
          const UserInvalidation inv = n > 1 ? UserInvalidation{} : garbage_invalidation(d);
          const Status s = m.invalidate_hwpt(ctx, hwpt, inv);
          out.invalidations_ok += s.ok();
          if (s.code != expected_errno(inv)) {
            if (out.wrong_invalidation_results++ == 0) {
              out.first_wrong_invalidation =
                  describe(inv) + ": got " + std::to_string(s.code) + " " + s.message;
            }
          }
        }
      }
    }
    ++threads_done;
  }

  // Issues `req` from `function` and checks how often it walked: a walk
  // starts again only after an invalidation executed during it.
  DmaResult issue(const char* function, const DmaRequest& req, WalkWatch::Requester& who) {
    const std::uint64_t walks = who.walks;
    const std::uint64_t descriptors = p.stats().counter_value("iommu.qi.descriptors");
    const DmaResult r = tb.probe(function).issue(req);
    const std::uint64_t walked = who.walks - walks;
    who.max_walks_per_dma = std::max(who.max_walks_per_dma, walked);
    if (walked > 1 + p.stats().counter_value("iommu.qi.descriptors") - descriptors) {
      ++out.walks_beyond_invalidations;
    }
    return r;
  }

  void attacker(Dice d) {
    for (std::uint64_t i = 0; i < kAttackerDmas; ++i) {
      sc_core::wait(static_cast<double>(d.below(800)), sc_core::SC_NS);
      const DmaRequest req{.address = attacker_iova(d),
                           .write = d.percent(50),
                           .size = kSlot,
                           .fill = static_cast<std::uint8_t>(d.below(256))};
      const std::size_t faults = watch.attacker.faults.size();
      const DmaResult r = issue("guest_nic", req, watch.attacker);
      ++out.attacker_dmas;
      const auto landed = landings.take();
      if (r.ok) {
        ++out.attacker_completed;
        if (!landed) {
          ++out.unexpected_completions;
        } else if (!g.pages.contains(*landed & ~(kPage - 1)) && out.escapes++ == 0) {
          out.first_escape = hex(req.address) + " reached " + hex(*landed);
        }
      } else if (r.completion == CompletionStatus::UnsupportedRequest) {
        ++out.attacker_faulted;
        if (watch.attacker.faults.size() == faults + 1) {
          ++out.fault_reasons[watch.attacker.faults.back()];
        } else {
          ++out.faults_without_reason;
        }
      } else {
        ++out.unexpected_completions;
      }
    }
    ++threads_done;
  }

  // Writes a byte pattern at a random slot and reads it back, each time.
  void victim(Dice d, std::vector<std::uint8_t>& written) {
    for (std::uint64_t i = 0; i < kVictimDmas; ++i) {
      sc_core::wait(static_cast<double>(d.below(800)), sc_core::SC_NS);
      const std::uint64_t slot = d.below(kWindowBytes / kSlot);
      const auto fill = static_cast<std::uint8_t>(1 + d.below(255));
      const std::uint64_t iova = kWindow + slot * kSlot;
      const DmaResult w =
          issue("victim_nic", {.address = iova, .write = true, .size = kSlot, .fill = fill},
                watch.victim);
      const DmaResult r = issue("victim_nic", {.address = iova, .size = kSlot}, watch.victim);
      const bool same =
          std::all_of(r.data.begin(), r.data.end(), [&](auto b) { return b == fill; });
      if (!w.ok || !r.ok || !same) {
        if (out.victim_errors++ == 0) out.first_victim_error = "slot at " + hex(iova);
      } else {
        written[slot] = fill;
      }
    }
    ++threads_done;
  }
};

}  // namespace

AttackOutcome run_attack(std::uint64_t seed) {
  const PlatformConfig c = attack_config(seed);
  TestBench tb(c);
  Platform& p = tb.platform();
  tb.allow_violations();  // counted and reported per seed instead
  const auto rid = [&](const char* name) {
    return p.topology().nodes[p.topology().find(name)].requester_id.rid();
  };
  WalkWatch watch(rid("guest_nic"), rid("victim_nic"));
  Landings landings(p.oracle(), rid("guest_nic"));
  p.iommu().set_observer(&landings);
  Run run{tb, p, p.manager(), watch, landings, {}, {}, 0, 0, {}};
  std::vector<std::uint8_t> written(kWindowBytes / kSlot, 0);
  std::uint64_t frames_before = 0;
  tb.run([&] {
    IoasidManager& m = p.manager();
    run.victim_ctx = m.open_context();
    ASSERT_TRUE(m.bind(run.victim_ctx, "victim_nic", "victim").ok());
    ASSERT_TRUE(m.attach_device(run.victim_ctx, "victim", 1, p.ioas("victim_iova")).ok());
    run.g = guest_memory(p, c);
    const IoasId victim = p.ioas("victim_iova");
    run.targets.host = {p.driver().root_table(), m.page_table_root(victim),
                        *m.physical(victim, kWindow), c.host.table_region,
                        c.host.table_region + 0x10000};
    run.targets.bar_window = c.pcie.mmio_base;
    frames_before = p.memory().store().frames_allocated();
    sc_core::sc_spawn([&run, seed] { run.attacker(Dice(seed * 3 + 1)); });
    sc_core::sc_spawn([&run, &written, seed] { run.victim(Dice(seed * 3 + 2), written); });
    run.guest(Dice(seed * 3));
  });
  AttackOutcome& out = run.out;
  out.finished = run.threads_done == 3;
  // Nothing but the victim wrote its buffer: memory holds what it wrote.
  const IoasId victim = p.ioas("victim_iova");
  for (std::uint64_t slot = 0; slot < written.size(); ++slot) {
    const std::uint64_t at = *p.manager().physical(victim, kWindow + slot * kSlot);
    for (std::uint64_t b = 0; b < kSlot; b += 8) {
      const std::uint64_t want = 0x0101010101010101ull * written[slot];
      if (p.host_bus().read64(at + b) != want && out.victim_errors++ == 0) {
        out.first_victim_error = "memory at " + hex(at + b) + " is not what the victim wrote";
      }
    }
  }
  out.victim_faults = watch.victim.faults.size();
  for (std::uint64_t a : watch.attacker.ad_writes) {
    if (!run.g.pages.contains(a & ~(kPage - 1)) && out.escapes++ == 0) {
      out.first_escape = "A/D update at " + hex(a);
    }
  }
  out.max_walk_reads = watch.attacker.max_reads;
  out.max_walks_per_dma = watch.attacker.max_walks_per_dma;
  out.victim_max_walks_per_dma = watch.victim.max_walks_per_dma;
  out.victim_max_walk_reads = watch.victim.max_reads;
  const DmaOracle& oracle = p.oracle();
  const StatsRegistry& s = p.stats();
  out.stale = s.counter_value("oracle.violations.stale_translation");
  out.breaches = s.counter_value("oracle.violations.isolation_breach");
  if (!oracle.listed().empty()) out.first_violation = oracle.listed().front().to_string();
  // Written frames: at most the guest's memory, the victim's buffer, and the
  // invalidation queue and its status page the first invalidation touches.
  out.frames_grown = p.memory().store().frames_allocated() - frames_before;
  out.frame_bound = kGuestRam / kPage + kWindowBytes / kPage + 2;
  out.faults_total = s.counter_value("iommu.faults.total");
  for (const std::string& name : s.counter_names()) {
    if (name.starts_with("iommu.faults.reason.")) out.faults_by_reason_sum += s.counter_value(name);
  }
  return out;
}

}  // namespace iommu_sim::test

// The translator's trace events (model/trace.h): one function per traced
// decision, called only when its category is on, so none of this runs on
// an untraced translation. Field names are stable: `iommu-sim explain
// --json` and tools read them.
#include <cstdio>
#include <sstream>

#include "iommu/translator.h"
#include "model/hex.h"
#include "model/trace.h"

namespace iommu_sim {

namespace vtd = iommu::vtd;
using trace::Category;

namespace {

trace::Event make_event(Category c, std::string_view what, const TranslationRequest& r,
                        std::int64_t pasid, const sc_core::sc_time& delay) {
  trace::Event e;
  e.category = c;
  e.what = what;
  e.time_ps = (sc_core::sc_time_stamp() + delay).value();
  e.requester = r.source_id;
  e.pasid = pasid;
  return e;
}

const char* hit_word(bool hit) {
  return hit ? "hit" : "miss";
}

std::string page_size(unsigned shift) {
  return shift == 30 ? "1 GiB" : shift == 21 ? "2 MiB" : "4 KiB";
}

// Raw qwords as the spec's tables number them: highest first.
std::string raw_hex(std::span<const std::uint64_t> raw) {
  std::string out;
  for (std::size_t i = raw.size(); i-- > 0;) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(raw[i]));
    out += buf;
    if (i != 0) out += '_';
  }
  return out;
}

void add_raw(trace::Event& e, std::span<const std::uint64_t> raw) {
  static constexpr std::string_view kNames[] = {"raw0", "raw1", "raw2", "raw3",
                                                "raw4", "raw5", "raw6", "raw7"};
  for (std::size_t i = 0; i < raw.size() && i < 8; ++i) e.fields.emplace_back(kNames[i], raw[i]);
}

constexpr std::string_view kLevelNames[] = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};

}  // namespace

void Translator::trace_context_probe(const TranslationRequest& r, bool hit,
                                     const sc_core::sc_time& delay) {
  auto e = make_event(Category::Context, "context_cache.probe", r, -1, delay);
  const std::uint64_t set = context_cache_.set_of(r.source_id);
  e.text = "context cache probe, tag " + trace::bdf_string(r.source_id) + ", set " +
           std::to_string(set) + ": " + (context_cache_.enabled() ? hit_word(hit) : "cache off");
  e.fields = {{"set", set}, {"tag", r.source_id}, {"hit", hit ? 1 : 0}};
  trace::emit(e);
}

void Translator::trace_root_read(const TranslationRequest& r, std::uint64_t at,
                                 const std::array<std::uint64_t, 2>& raw,
                                 const vtd::ScalableRootEntry& re, const sc_core::sc_time& delay) {
  auto e = make_event(Category::Context, "root.read", r, -1, delay);
  std::ostringstream t;
  t << "root entry (bus " << (r.source_id >> 8) << ") @" << hex(at) << " = " << raw_hex(raw)
    << ": LP=" << re.lower_present << " LCTP=" << hex(re.lower_context_table)
    << " UP=" << re.upper_present << " UCTP=" << hex(re.upper_context_table)
    << "  (VT-d 9.2; devfn " << (r.source_id & 0xff) << " uses the "
    << ((r.source_id & 0xff) >= 0x80 ? "upper" : "lower") << " half)";
  e.text = t.str();
  e.fields = {{"address", at},
              {"lower_present", re.lower_present},
              {"lower_context_table", re.lower_context_table},
              {"upper_present", re.upper_present},
              {"upper_context_table", re.upper_context_table}};
  add_raw(e, raw);
  trace::emit(e);
}

void Translator::trace_context_read(const TranslationRequest& r, std::uint64_t at,
                                    const std::array<std::uint64_t, 4>& raw,
                                    const vtd::ScalableContextEntry& c,
                                    const sc_core::sc_time& delay) {
  auto e = make_event(Category::Context, "context.read", r, -1, delay);
  std::ostringstream t;
  t << "context entry @" << hex(at) << " = " << raw_hex(raw) << ": P=" << c.present
    << " FPD=" << c.fpd << " DTE=" << c.dte << " PASIDE=" << c.paside
    << " PDTS=" << static_cast<unsigned>(c.pdts) << " PASIDDIRPTR=" << hex(c.pasid_dir_ptr)
    << " RID_PASID=" << c.rid_pasid << "  (VT-d 9.4)";
  e.text = t.str();
  e.fields = {{"address", at},
              {"present", c.present},
              {"fpd", c.fpd},
              {"dte", c.dte},
              {"paside", c.paside},
              {"pdts", c.pdts},
              {"pasid_dir", c.pasid_dir_ptr},
              {"rid_pasid", c.rid_pasid}};
  add_raw(e, raw);
  trace::emit(e);
}

void Translator::trace_pasid_probe(const TranslationRequest& r, const PasidKey& key, bool hit,
                                   const sc_core::sc_time& delay) {
  auto e = make_event(Category::Pasid, "pasid_cache.probe", r, key.pasid, delay);
  const std::uint64_t set = pasid_cache_.set_of(pasid_index(key));
  e.text = "PASID cache probe, tag (directory " + hex(key.pasid_dir) + ", PASID " +
           std::to_string(key.pasid) + "), set " + std::to_string(set) + ": " +
           (pasid_cache_.enabled() ? hit_word(hit) : "cache off");
  e.fields = {{"set", set}, {"pasid_dir", key.pasid_dir}, {"hit", hit ? 1 : 0}};
  trace::emit(e);
}

void Translator::trace_pasid_dir_read(const TranslationRequest& r, std::uint32_t pasid,
                                      std::uint64_t at, std::uint64_t raw,
                                      const vtd::PasidDirEntry& d, const sc_core::sc_time& delay) {
  auto e = make_event(Category::Pasid, "pasid_dir.read", r, pasid, delay);
  std::ostringstream t;
  t << "PASID directory entry " << vtd::pasid_dir_index(pasid) << " @" << hex(at) << " = "
    << raw_hex(std::span(&raw, 1)) << ": P=" << d.present << " FPD=" << d.fpd
    << " SMPTBLPTR=" << hex(d.pasid_table_ptr) << "  (VT-d 9.5; index PASID[19:6])";
  e.text = t.str();
  e.fields = {{"address", at},
              {"present", d.present},
              {"fpd", d.fpd},
              {"pasid_table", d.pasid_table_ptr},
              {"raw0", raw}};
  trace::emit(e);
}

void Translator::trace_pasid_entry_read(const TranslationRequest& r, std::uint32_t pasid,
                                        std::uint64_t at, const std::array<std::uint64_t, 8>& raw,
                                        const vtd::PasidEntry& p, const sc_core::sc_time& delay) {
  auto e = make_event(Category::Pasid, "pasid_entry.read", r, pasid, delay);
  static constexpr std::string_view kPgtt[] = {"reserved", "first-level",  "second-level",
                                               "nested",   "pass-through", "reserved",
                                               "reserved", "reserved"};
  std::ostringstream t;
  t << "PASID entry " << vtd::pasid_table_index(pasid) << " @" << hex(at) << " = "
    << raw_hex(std::span(raw.data(), 4)) << ": P=" << p.present << " FPD=" << p.fpd
    << " PGTT=" << static_cast<unsigned>(p.pgtt) << " (" << kPgtt[p.pgtt & 7] << ")"
    << " DID=" << p.did << " FLPTPTR=" << hex(p.flptptr)
    << " FLPM=" << static_cast<unsigned>(p.flpm) << " SLPTPTR=" << hex(p.slptptr)
    << " AW=" << static_cast<unsigned>(p.aw) << " SRE=" << p.sre << " WPE=" << p.wpe
    << " SSADE=" << p.ssade << "  (VT-d 9.6; index PASID[5:0])";
  e.text = t.str();
  e.fields = {{"address", at}, {"present", p.present}, {"fpd", p.fpd},   {"pgtt", p.pgtt},
              {"did", p.did},  {"flptptr", p.flptptr}, {"flpm", p.flpm}, {"slptptr", p.slptptr},
              {"aw", p.aw},    {"sre", p.sre},         {"wpe", p.wpe},   {"ssade", p.ssade}};
  add_raw(e, raw);
  trace::emit(e);
}

void Translator::trace_iotlb_probe(const TranslationRequest& r, std::uint16_t did,
                                   std::uint32_t pasid, const IotlbEntry* hit,
                                   const sc_core::sc_time& delay) {
  auto e = make_event(Category::Iotlb, "iotlb.probe", r, pasid, delay);
  std::ostringstream t;
  t << "IOTLB probe, DID " << did << " PASID " << pasid << " IOVA " << hex(r.iova) << ":";
  const auto probes = iotlb_.probes(did, pasid, r.iova);
  if (!iotlb_.enabled()) t << " cache off";
  if (iotlb_.enabled() && probes.empty()) t << " empty (nothing filled since the last flush)";
  for (const auto& p : probes) {
    const bool this_one = hit != nullptr && hit->page_shift == p.page_shift;
    t << ' ' << page_size(p.page_shift) << " page " << hex(p.page) << " set " << p.set << ' '
      << hit_word(this_one) << ';';
    if (this_one) break;
  }
  t << (hit != nullptr ? " => hit" : " => miss");
  if (hit != nullptr) {
    t << " -> " << hex(hit->output_page) << " (" << page_size(hit->page_shift) << ")";
    if (r.write && !hit->dirty) t << ", but a write needs D set: walks again";
  }
  e.text = t.str();
  e.fields = {{"did", did}, {"hit", hit != nullptr ? 1 : 0}};
  if (!probes.empty()) e.fields.emplace_back("set", probes.front().set);
  if (hit != nullptr) e.fields.emplace_back("page_shift", hit->page_shift);
  trace::emit(e);
}

void Translator::trace_iotlb_fill(const TranslationRequest& r, std::uint16_t did,
                                  std::uint32_t pasid, const IotlbEntry& w) {
  trace::Event e = make_event(Category::Iotlb, "iotlb.fill", r, pasid, sc_core::SC_ZERO_TIME);
  e.time_ps = w.filled_ps;
  std::ostringstream t;
  t << "IOTLB fill, DID " << did << " PASID " << pasid << ": " << page_size(w.page_shift)
    << " page " << hex(r.iova >> w.page_shift << w.page_shift) << " -> " << hex(w.output_page)
    << ", rights R/W=" << w.writable << " U/S=" << w.user << " XD=" << w.execute_disable
    << " SL-R=" << w.readable << " SL-W=" << w.sl_writable << " D=" << w.dirty;
  e.text = t.str();
  e.fields = {{"did", did},
              {"page_shift", w.page_shift},
              {"output", w.output_page},
              {"writable", w.writable},
              {"user", w.user},
              {"execute_disable", w.execute_disable},
              {"readable", w.readable},
              {"sl_writable", w.sl_writable}};
  trace::emit(e);
  trace::counter(Category::Iotlb, "iotlb.occupancy", "iommu.iotlb", "IOTLB occupancy", w.filled_ps,
                 "entries", iotlb_.occupancy());
}

void Translator::trace_psc_probe(const TranslationRequest& r, PagingStructureCaches& psc,
                                 std::string_view name, std::uint16_t did, std::uint32_t pasid,
                                 std::uint64_t input, unsigned top,
                                 const std::optional<PagingStructureCaches::Hit>& hit,
                                 const sc_core::sc_time& delay) {
  auto e = make_event(Category::Psc, name == "fl_psc" ? "fl_psc.probe" : "sl_psc.probe", r,
                      r.pasid_present || name == "fl_psc" ? std::int64_t{pasid} : -1, delay);
  std::ostringstream t;
  t << (name == "fl_psc" ? "first" : "second") << "-level paging-structure caches, input "
    << hex(input) << ":";
  for (unsigned level = PagingStructureCaches::kLowest; level <= top; ++level) {
    const auto slot = psc.slot(level, did, pasid, input);
    if (!slot.enabled) continue;
    const bool this_one = hit && hit->level == level;
    t << ' ' << kLevelNames[level] << " cache set " << slot.set << " tag " << hex(slot.tag) << ' '
      << hit_word(this_one) << ';';
    if (this_one) break;
  }
  if (hit) {
    t << " resume at level " << hit->level - 1 << " (" << kLevelNames[hit->level - 1]
      << ") in table " << hex(hit->entry.table);
  } else {
    t << " walk from the root";
  }
  e.text = t.str();
  e.fields = {{"hit_level", hit ? hit->level : 0}};
  if (hit) {
    const PscEntry& c = hit->entry;
    e.fields.emplace_back("table", c.table);
    // The rights the cached entries accumulated down to the resume level.
    if (name == "fl_psc") {
      e.fields.insert(e.fields.end(),
                      {{"rw", c.writable}, {"us", c.user}, {"xd", c.execute_disable}});
    } else {
      e.fields.insert(e.fields.end(), {{"r", c.r}, {"w", c.w}, {"x", c.x}});
    }
  }
  trace::emit(e);
}

void Translator::trace_walk(const TranslationRequest& r, const PasidInfo& pe, std::uint64_t id,
                            bool begin, const sc_core::sc_time& delay) {
  auto e = make_event(Category::Walk, begin ? "walk.begin" : "walk.end", r, r.pasid, delay);
  e.phase = begin ? trace::Phase::Begin : trace::Phase::End;
  e.track = "iommu.walk";
  e.id = id;
  // The DMA that caused the walk: a timeline draws an arrow from it.
  if (begin) e.flow = r.trace_id;
  static constexpr std::string_view kPgtt[] = {"", "first-level", "second-level", "nested"};
  std::ostringstream t;
  t << "walk " << id << (begin ? " starts: " : " ends: ") << kPgtt[std::min<unsigned>(pe.pgtt, 3)]
    << ", DID " << pe.did;
  if (begin && pe.pgtt != static_cast<std::uint8_t>(vtd::Pgtt::SecondLevel)) {
    t << ", first-level " << static_cast<unsigned>(pe.fl_levels) << "-level table at "
      << hex(pe.fl_table);
  }
  if (begin && pe.pgtt != static_cast<std::uint8_t>(vtd::Pgtt::FirstLevel)) {
    t << ", second-level " << static_cast<unsigned>(pe.sl_levels) << "-level table at "
      << hex(pe.sl_table);
  }
  e.text = t.str();
  e.fields = {{"walk", id}, {"did", pe.did}, {"pgtt", pe.pgtt}};
  trace::emit(e);
}

void Translator::trace_fl_read(const TranslationRequest& r, std::uint32_t pasid, unsigned level,
                               std::uint64_t at, std::uint64_t raw, const vtd::FirstLevelEntry& f,
                               const sc_core::sc_time& delay) {
  auto e = make_event(Category::Walk, "fl.read", r, pasid, delay);
  std::ostringstream t;
  t << "first-level " << kLevelNames[level] << " (index " << vtd::first_level_index(r.iova, level)
    << ") @" << hex(at) << " = " << raw_hex(std::span(&raw, 1)) << ": P=" << f.present
    << " R/W=" << f.rw << " U/S=" << f.us << " A=" << f.accessed << " D=" << f.dirty
    << " PS=" << f.ps << " XD=" << f.xd << " address=" << hex(f.address) << "  (VT-d 9.7)";
  e.text = t.str();
  e.fields = {{"level", level},
              {"address", at},
              {"raw0", raw},
              {"present", f.present},
              {"rw", f.rw},
              {"us", f.us},
              {"accessed", f.accessed},
              {"dirty", f.dirty},
              {"ps", f.ps},
              {"xd", f.xd},
              {"next", f.address}};
  trace::emit(e);
}

void Translator::trace_sl_read(const TranslationRequest& r, std::uint32_t pasid, unsigned level,
                               std::uint64_t input, std::uint64_t at, std::uint64_t raw,
                               const vtd::SecondLevelEntry& s, const sc_core::sc_time& delay) {
  auto e = make_event(Category::Walk, "sl.read", r, pasid, delay);
  std::ostringstream t;
  t << "second-level " << kLevelNames[level] << " for " << hex(input) << " (index "
    << vtd::first_level_index(input, level) << ") @" << hex(at) << " = "
    << raw_hex(std::span(&raw, 1)) << ": R=" << s.r << " W=" << s.w << " X=" << s.x
    << " A=" << s.accessed << " D=" << s.dirty << " PS=" << s.ps << " address=" << hex(s.address)
    << "  (VT-d 9.8)";
  e.text = t.str();
  e.fields = {{"level", level},   {"input", input}, {"address", at},    {"raw0", raw},
              {"r", s.r},         {"w", s.w},       {"x", s.x},         {"accessed", s.accessed},
              {"dirty", s.dirty}, {"ps", s.ps},     {"next", s.address}};
  trace::emit(e);
}

void Translator::trace_ad_update(const TranslationRequest& r, std::uint32_t pasid, std::uint64_t at,
                                 std::uint64_t bits, const sc_core::sc_time& delay) {
  auto e = make_event(Category::Walk, "walk.ad_update", r, pasid, delay);
  e.text = "A/D update @" + hex(at) + ": OR " + hex(bits) +
           " (one locked read-modify-write; VT-d 3.6.3, 3.7.3)";
  e.fields = {{"address", at}, {"bits", bits}};
  trace::emit(e);
}

}  // namespace iommu_sim

// What a change to an IOAS's mappings needs invalidated, in which domains,
// and what the ordering oracle is told about it.
#include <algorithm>

#include "model/host/ioasid_manager.h"

namespace iommu_sim {

std::vector<IoasidManager::Affected> IoasidManager::affected(const AddressSpace& as,
                                                             std::uint64_t lo,
                                                             std::uint64_t hi) const {
  std::vector<Affected> out;
  if (listener_ == nullptr) return out;
  auto add = [&](const std::vector<std::pair<Bdf, std::uint32_t>>& attached, bool nested) {
    for (const auto& [bdf, pasid] : attached) {
      out.push_back({bdf, pasid, nested ? 0 : lo, nested ? ~0ull : hi});
    }
  };
  add(as.attached, false);
  for (IoasId child : as.children) add(spaces_.at(child)->attached, true);
  for (HwptId id : as.hwpts) {
    const Hwpt& h = *hwpts_.at(id);
    add(h.attached, false);
    for (HwptId child : h.children) add(hwpts_.at(child)->attached, true);
  }
  return out;
}

void IoasidManager::notify_changing(const std::vector<Affected>& list) {
  if (listener_ == nullptr) return;
  for (const Affected& a : list) listener_->changing(a.bdf.rid(), a.pasid, a.lo, a.hi);
}

void IoasidManager::notify_returned(const std::vector<Affected>& list) {
  if (listener_ == nullptr) return;
  for (const Affected& a : list) listener_->unmap_returned(a.bdf.rid(), a.pasid, a.lo, a.hi);
}

void IoasidManager::notify_settled(const std::vector<Affected>& list) {
  if (listener_ == nullptr) return;
  for (const Affected& a : list) listener_->settled(a.bdf.rid(), a.pasid, a.lo, a.hi);
}

void IoasidManager::user_table_changed(std::uint64_t root_gpa, std::uint64_t lo, std::uint64_t hi,
                                       bool non_leaf) {
  const HostLock::Guard guard(lock_);
  if (listener_ == nullptr) return;
  for (const auto& [id, h] : hwpts_) {
    if (h->table || h->stage1.root_gpa != root_gpa) continue;
    for (const auto& [bdf, pasid] : h->attached) {
      listener_->changing(bdf.rid(), pasid, lo, hi);
      if (non_leaf) {
        h->non_leaf_pending[{bdf.rid(), pasid}].add(
            boost::icl::discrete_interval<std::uint64_t>::right_open(lo, hi));
      }
    }
  }
}

std::vector<InvalidationBatch> IoasidManager::flush_batches(const AddressSpace& as,
                                                            std::uint64_t iova,
                                                            std::uint64_t length,
                                                            bool leaf_only) const {
  std::vector<InvalidationBatch> out(1);
  const bool second_level = as.options.translation == IoasTranslation::SecondLevel;
  for (const auto& [bdf, pasid] : as.attached) {
    driver_.add_flush_range(out[0], as.did, pasid, iova, length, second_level, leaf_only,
                            owners_.device_tlb(bdf));
  }
  for (HwptId id : as.hwpts) {
    const Hwpt& h = *hwpts_.at(id);
    const bool sl = h.table->format() == PageTableFormat::SecondLevel;
    for (const auto& [bdf, pasid] : h.attached) {
      driver_.add_flush_range(out[0], h.did, pasid, iova, length, sl, leaf_only,
                              owners_.device_tlb(bdf));
    }
  }
  for (IoasId child : as.children) {
    const AddressSpace& c = *spaces_.at(child);
    add_nested_flush(out.emplace_back(), c.attached, c.did);
  }
  for (HwptId id : as.hwpts) {
    for (HwptId child : hwpts_.at(id)->children) {
      const Hwpt& c = *hwpts_.at(child);
      add_nested_flush(out.emplace_back(), c.attached, c.did);
    }
  }
  return out;
}

void IoasidManager::add_nested_flush(InvalidationBatch& batch,
                                     const std::vector<std::pair<Bdf, std::uint32_t>>& attached,
                                     std::uint16_t did) const {
  for (const auto& [bdf, pasid] : attached) {
    driver_.add_flush_range(batch, did, pasid, 0, 1ull << 62, true, false, owners_.device_tlb(bdf));
  }
}

Status IoasidManager::submit(const std::vector<InvalidationBatch>& batches) {
  for (const InvalidationBatch& batch : batches) {
    const auto all = batch.descriptors();
    for (std::size_t at = 0; at < all.size(); at += InvalidationBatch::kMaxPerSubmission) {
      const auto part =
          all.subspan(at, std::min(InvalidationBatch::kMaxPerSubmission, all.size() - at));
      if (Status s = driver_.submit_and_wait(part); !s.ok()) return s;
    }
  }
  return Status::success();
}

}  // namespace iommu_sim

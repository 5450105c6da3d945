// One DMA as a DMA engine sends it into a function's dma_in socket: the
// TLM-2.0 generic payload, its PcieAttrs extension (which every request
// must carry) and its data buffer, set up together; the extension is
// cleared again when the request is done with.
#pragma once

#include <cstdint>
#include <tlm>
#include <vector>

#include "model/pcie_attrs.h"

namespace iommu_sim {

class DmaPayload {
 public:
  // A write carries `size` bytes of `fill`; a read's buffer starts zeroed.
  DmaPayload(std::uint64_t address, std::uint32_t size, bool write, std::uint8_t fill,
             const PcieAttrs& attrs)
      : data_(size, write ? fill : 0), attrs_(attrs) {
    payload_.set_extension(&attrs_);
    payload_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    payload_.set_address(address);
    payload_.set_data_ptr(data_.data());
    payload_.set_data_length(size);
    payload_.set_streaming_width(size);
    payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  }
  ~DmaPayload() { payload_.clear_extension(&attrs_); }
  DmaPayload(const DmaPayload&) = delete;
  DmaPayload& operator=(const DmaPayload&) = delete;

  tlm::tlm_generic_payload& payload() { return payload_; }
  const PcieAttrs& attrs() const { return attrs_; }
  const std::vector<std::uint8_t>& data() const { return data_; }

 private:
  std::vector<std::uint8_t> data_;
  PcieAttrs attrs_;
  tlm::tlm_generic_payload payload_;
};

}  // namespace iommu_sim

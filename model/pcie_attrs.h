// The PCIe request attributes a TLM generic payload cannot carry: who sent
// it (requester ID), its PASID TLP prefix, and the Address Type field of the
// TLP header (PCIe Base spec, "Address Type (AT) Field Encodings": 00b
// untranslated, 01b translation request, 10b translated).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tlm>

namespace iommu_sim {

enum class AddressType : std::uint8_t { Untranslated = 0, TranslationRequest = 1, Translated = 2 };

// Requester ID: bus[15:8], device[7:3], function[2:0] (PCIe Base spec 2.2.6.2).
struct Bdf {
  std::uint8_t bus = 0;
  std::uint8_t device = 0;    // 0..31
  std::uint8_t function = 0;  // 0..7
  constexpr std::uint16_t rid() const {
    return static_cast<std::uint16_t>(bus << 8 | (device & 0x1f) << 3 | (function & 0x7));
  }
  constexpr std::uint8_t devfn() const {
    return static_cast<std::uint8_t>((device & 0x1f) << 3 | (function & 0x7));
  }
  static constexpr Bdf from_rid(std::uint16_t rid) {
    return Bdf{static_cast<std::uint8_t>(rid >> 8), static_cast<std::uint8_t>((rid >> 3) & 0x1f),
               static_cast<std::uint8_t>(rid & 0x7)};
  }
  std::string to_string() const;
  bool operator==(const Bdf&) const = default;
};

// How the request ended, as its completion (or lack of one) tells the device.
enum class CompletionStatus : std::uint8_t {
  Success = 0,
  UnsupportedRequest = 1,  // the IOMMU blocked it (translation fault)
  CompleterAbort = 4,
};
// As the PCIe Base spec names the status: "success", "Unsupported
// Request", "Completer Abort".
std::string_view completion_name(CompletionStatus s);

struct PcieAttrs : tlm::tlm_extension<PcieAttrs> {
  std::uint16_t requester_id = 0;
  bool pasid_present = false;
  std::uint32_t pasid = 0;  // 20 bits
  bool privileged = false;  // PASID prefix "Privileged Mode Requested"
  bool execute = false;     // PASID prefix "Execute Requested"
  AddressType at = AddressType::Untranslated;
  CompletionStatus completion = CompletionStatus::Success;
  // Translation Request (PCIe ATS): NW, no write permission asked; the
  // Translation Completion's result (R=W=0: no translation).
  bool no_write = true;
  std::uint64_t translation = 0;  // translated address of the page
  std::uint8_t translation_shift = 12;
  bool translation_read = false, translation_write = false;
  // Names the DMA in traces and timelines (model/trace.h); 0 when the
  // function traced nothing of it.
  std::uint64_t trace_id = 0;

  tlm::tlm_extension_base* clone() const override { return new PcieAttrs(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const PcieAttrs&>(other);
  }
};

// A PCIe ATS Invalidate Request (PCIe Base spec 10.3.1) from the IOMMU to a
// device: the range of untranslated addresses, of one PASID or all.
struct AtsInvalidation : tlm::tlm_extension<AtsInvalidation> {
  bool all_pasids = true;
  bool pasid_present = false;
  std::uint32_t pasid = 0;
  std::uint64_t base = 0, size = 0;

  tlm::tlm_extension_base* clone() const override { return new AtsInvalidation(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const AtsInvalidation&>(other);
  }
};

}  // namespace iommu_sim

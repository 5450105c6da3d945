#include "workloads/trace/trace_file.h"

#include <filesystem>

#include "workloads/trace/trace_binary.h"
#include "workloads/trace/trace_csv.h"

namespace iommu_sim {

namespace {

std::string extension(const std::string& path) {
  return std::filesystem::path(path).extension().string();
}

std::unique_ptr<std::ifstream> open_input(const std::string& path) {
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw TraceError(path + ": cannot open");
  return in;
}

// Why a record cannot replay on the platform, or empty.
std::string unknown_target(const TraceRecord& r, const std::string& device,
                           const TraceTargets& targets) {
  if (!targets.devices.contains(device)) {
    return "device: no endpoint named \"" + device + "\" in the config (pcie.endpoints[].name)";
  }
  const std::uint32_t pasid = r.pasid_present ? r.pasid : 0;
  if (!r.is_dma() && !targets.attached.contains({device, pasid})) {
    return "pasid: " + device + " PASID " + std::to_string(pasid) +
           " is not attached to an address space (attach[]): nothing to " +
           std::string(op_name(r.op));
  }
  return {};
}

}  // namespace

TraceFormat trace_format_for_output(const std::string& path) {
  const std::string ext = extension(path);
  if (ext == ".csv") return TraceFormat::Csv;
  if (ext == ".bin") return TraceFormat::Binary;
  throw TraceError(path + ": a trace file must be named *.csv or *.bin");
}

TraceFormat trace_format_of_input(const std::string& path) {
  char magic[kBinaryTraceMagic.size()] = {};
  open_input(path)->read(magic, sizeof magic);
  const bool has_magic = std::string_view(magic, sizeof magic) == kBinaryTraceMagic;
  return has_magic || extension(path) == ".bin" ? TraceFormat::Binary : TraceFormat::Csv;
}

std::unique_ptr<TraceReader> open_trace_reader(const std::string& path) {
  if (trace_format_of_input(path) == TraceFormat::Binary) {
    return std::make_unique<BinaryTraceReader>(open_input(path), path);
  }
  return std::make_unique<CsvTraceReader>(open_input(path), path);
}

TraceFileWriter::TraceFileWriter(const std::string& path, const std::vector<std::string>& devices)
    : path_(path), temp_(path + ".tmp") {
  const TraceFormat format = trace_format_for_output(path);
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw TraceError(path + ": cannot create " + temp_);
  if (format == TraceFormat::Binary) {
    writer_ = std::make_unique<BinaryTraceWriter>(out_, devices);
  } else {
    writer_ = std::make_unique<CsvTraceWriter>(out_, devices);
  }
}

TraceFileWriter::~TraceFileWriter() {
  if (committed_) return;
  out_.close();
  std::error_code ignored;  // nothing more to do if it is already gone
  std::filesystem::remove(temp_, ignored);
}

void TraceFileWriter::commit() {
  writer_->flush();
  out_.close();
  if (!out_) throw TraceError(path_ + ": write error on " + temp_);
  std::error_code ec;
  std::filesystem::rename(temp_, path_, ec);
  if (ec) throw TraceError(path_ + ": cannot rename " + temp_ + " into place: " + ec.message());
  committed_ = true;
}

TraceSummary scan_trace(const std::string& path, const TraceTargets* targets) {
  auto reader = open_trace_reader(path);
  TraceSummary s;
  std::vector<bool> checked;  // devices found on the platform, by index
  TraceRecord r;
  while (reader->next(r)) {
    ++s.records;
    if (r.device >= s.per_device.size()) s.per_device.resize(r.device + 1);
    ++s.per_device[r.device];
    if (targets == nullptr || (r.is_dma() && r.device < checked.size() && checked[r.device])) {
      continue;
    }
    const std::string& device = reader->devices()[r.device];
    if (const std::string why = unknown_target(r, device, *targets); !why.empty()) {
      throw TraceError(reader->where() + ": " + why);
    }
    if (r.device >= checked.size()) checked.resize(r.device + 1);
    checked[r.device] = true;
  }
  s.devices = reader->devices();
  s.per_device.resize(s.devices.size());
  return s;
}

std::uint64_t convert_trace(const std::string& in, const std::string& out) {
  trace_format_for_output(out);  // refuse a bad name before reading anything
  auto reader = open_trace_reader(in);
  // A binary header names the devices up front; a CSV names them as it
  // goes, so it is read once to know them before the output's header.
  const std::vector<std::string> devices =
      trace_format_of_input(in) == TraceFormat::Binary ? reader->devices() : scan_trace(in).devices;
  TraceFileWriter writer(out, devices);
  std::uint64_t records = 0;
  for (TraceRecord r; reader->next(r); ++records) writer.write(r);
  writer.commit();
  return records;
}

}  // namespace iommu_sim

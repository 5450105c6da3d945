// The DMA trace formats (docs/trace.md): CSV parsing, the binary layout,
// conversion both ways, and every kind of bad input refused with a message
// that names the line (or record) and the field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"
#include "workloads/trace/trace_binary.h"
#include "workloads/trace/trace_csv.h"
#include "workloads/trace/trace_file.h"

namespace iommu_sim {
namespace {

namespace fs = std::filesystem;
using test::write_temp;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<TraceRecord> read_all(TraceReader& reader) {
  std::vector<TraceRecord> out;
  for (TraceRecord r; reader.next(r);) out.push_back(r);
  return out;
}

// The message scan_trace refuses `text` with (against `targets` if given),
// the file named without its directory; "" if it accepts it.
std::string error_of(const std::string& text, const TraceTargets* targets = nullptr,
                     const std::string& name = "iommu_sim_bad_trace.csv") {
  const std::string path = write_temp(name, text);
  try {
    scan_trace(path, targets);
  } catch (const TraceError& e) {
    const std::string message = e.what();
    return message.starts_with(path) ? name + message.substr(path.size()) : message;
  }
  return "";
}

const std::string kHeader = "time_ns,device,pasid,address,size,op\n";

TEST(TraceCsv, ParsesAHandWrittenTraceIntoExactRecords) {
  auto in = std::make_unique<std::istringstream>(
      "# a hand-written trace\n"
      "\n"
      "time_ns, device, pasid, address, size, op\n"
      "0,nic0,1,0x100000,64,read\n"
      "  12.5 , ssd0 , - , 0X1FC0 , 64 , write \n"
      "# comments may sit anywhere\n"
      "100.001,nic0,1048575,0x200000,8192,map\r\n"
      "100.001,nic0,1048575,0x200000,8192,unmap\n");
  CsvTraceReader reader(std::move(in), "hand.csv");
  const std::vector<TraceRecord> expected{
      {.time_ps = 0, .address = 0x100000, .size = 64, .pasid = 1, .pasid_present = true},
      {.time_ps = 12500, .address = 0x1fc0, .size = 64, .device = 1, .op = TraceOp::Write},
      {.time_ps = 100001,
       .address = 0x200000,
       .size = 8192,
       .pasid = 1048575,
       .pasid_present = true,
       .op = TraceOp::Map},
      {.time_ps = 100001,
       .address = 0x200000,
       .size = 8192,
       .pasid = 1048575,
       .pasid_present = true,
       .op = TraceOp::Unmap},
  };
  EXPECT_EQ(read_all(reader), expected);
  EXPECT_EQ(reader.devices(), (std::vector<std::string>{"nic0", "ssd0"}));
  EXPECT_EQ(reader.where(), "hand.csv:8");
}

TEST(TraceCsv, TimesKeepPicosecondsAndPrintWithoutTrailingZeros) {
  EXPECT_EQ(format_time_ns(0), "0");
  EXPECT_EQ(format_time_ns(5000), "5");
  EXPECT_EQ(format_time_ns(84310), "84.31");
  EXPECT_EQ(format_time_ns(1000001), "1000.001");
  EXPECT_EQ(format_time_ns(~0ull), "18446744073709551.615");
}

const std::string kCanonical = kHeader +
                               "0,nic0,1,0x100000,64,read\n"
                               "12.5,ssd0,-,0x1fc0,64,write\n"
                               "966.815,nic0,1048575,0x200000,8192,map\n"
                               "966.815,ssd0,0,0xfffffffffffff000,4096,read\n"
                               "1000000000,nic0,7,0x200000,8192,unmap\n";

TEST(TraceFormat, CsvToBinaryToCsvIsByteIdentical) {
  const std::string csv = write_temp("iommu_sim_canonical.csv", kCanonical);
  const std::string bin = (test::temp_dir() / "iommu_sim_canonical.bin").string();
  const std::string back = (test::temp_dir() / "iommu_sim_canonical_back.csv").string();
  EXPECT_EQ(convert_trace(csv, bin), 5u);
  EXPECT_EQ(convert_trace(bin, back), 5u);
  EXPECT_EQ(read_bytes(back), kCanonical);
  // Header: magic, version, count, "nic0" and "ssd0" with their lengths;
  // then five 32-byte records.
  EXPECT_EQ(fs::file_size(bin), 8u + 4 + 4 + 2 * (2 + 4) + 5 * 32);
  EXPECT_FALSE(fs::exists(bin + ".tmp"));
}

TEST(TraceFormat, BinaryLayoutIsTheDocumentedOne) {
  std::ostringstream out;
  BinaryTraceWriter writer(out, {"nic0"});
  writer.write({.time_ps = 0x0102030405060708,
                .address = 0x1122334455667788,
                .size = 64,
                .pasid = 5,
                .pasid_present = true,
                .op = TraceOp::Write});
  writer.write({.time_ps = 0x0102030405060708, .size = 4096, .op = TraceOp::Unmap});
  writer.flush();
  const std::string expected =
      std::string("IOMMUTRC\1\0\0\0\1\0\0\0\4\0nic0", 22) +
      // time (ps), address, size
      std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8) +
      std::string("\x88\x77\x66\x55\x44\x33\x22\x11", 8) + std::string("\x40\0\0\0\0\0\0\0", 8) +
      // PASID 5, device 0, op 1 (write), reserved
      std::string("\5\0\0\0\0\0\1\0", 8) + std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8) +
      std::string(8, '\0') + std::string("\0\x10\0\0\0\0\0\0", 8) +
      // no PASID (bit 31), device 0, op 3 (unmap)
      std::string("\0\0\0\x80\0\0\3\0", 8);
  EXPECT_EQ(out.str(), expected);
}

TEST(TraceFormat, BinaryReaderStreamsAcrossItsBuffer) {
  // 5000 records: more than the 2048 a 64 KiB buffer holds, so records are
  // read across refills.
  const std::string path = (test::temp_dir() / "iommu_sim_many.bin").string();
  {
    TraceFileWriter writer(path, {"a", "b"});
    for (std::uint64_t i = 0; i < 5000; ++i) {
      writer.write({.time_ps = i * 10,
                    .address = i * 64 % 4096,
                    .size = 64,
                    .device = static_cast<std::uint16_t>(i % 2)});
    }
    writer.commit();
  }
  auto reader = open_trace_reader(path);
  std::uint64_t n = 0;
  for (TraceRecord r; reader->next(r); ++n) {
    ASSERT_EQ(r.time_ps, n * 10);
    ASSERT_EQ(r.device, n % 2);
  }
  EXPECT_EQ(n, 5000u);
  EXPECT_EQ(scan_trace(path).per_device, (std::vector<std::uint64_t>{2500, 2500}));
}

TEST(TraceFormat, MalformedCsvLinesNameTheLineAndField) {
  const std::string f = "iommu_sim_bad_trace.csv:";
  EXPECT_EQ(
      error_of("time,device\n"),
      f + "1: header: expected \"time_ns,device,pasid,address,size,op\" (got \"time,device\")");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100000,64\n"),
            f + "2: 5 fields, expected 6: time_ns,device,pasid,address,size,op");
  EXPECT_EQ(error_of(kHeader + "# c\n\nabc,nic0,1,0x100000,64,read\n"),
            f + "4: time_ns: \"abc\" is not a time in ns (at most 3 decimals: 1 ps)");
  EXPECT_EQ(error_of(kHeader + "1.0001,nic0,1,0x100000,64,read\n"),
            f + "2: time_ns: \"1.0001\" is not a time in ns (at most 3 decimals: 1 ps)");
  EXPECT_EQ(error_of(kHeader + "0,,1,0x100000,64,read\n"), f + "2: device: is empty");
  EXPECT_EQ(error_of(kHeader + "0,nic0,one,0x100000,64,read\n"),
            f + "2: pasid: \"one\" is not a decimal PASID or - (no PASID)");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,100000,64,read\n"),
            f + "2: address: \"100000\" is not a hexadecimal address starting with 0x");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100000,64b,read\n"),
            f + "2: size: \"64b\" is not a decimal byte count");
}

TEST(TraceFormat, OutOfRangeValuesAreRefusedWithTheirValue) {
  const std::string f = "iommu_sim_bad_trace.csv:";
  EXPECT_EQ(error_of(kHeader + "0,nic0,1048576,0x100000,64,read\n"),
            f + "2: pasid: 1048576 is out of range 0..1048575 (- for a request without PASID)");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100000,0,read\n"),
            f + "2: size: 0 is out of range 1..4096 for a DMA");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100000,8192,write\n"),
            f + "2: size: 8192 is out of range 1..4096 for a DMA");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100fc0,128,read\n"),
            f + "2: size: 0x100fc0 + 128 crosses a 4 KiB page (PCIe Base spec 2.2.7)");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100000,64,fetch\n"),
            f + "2: op: \"fetch\" is not read, write, map or unmap");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100800,4096,map\n"),
            f + "2: address: 0x100800 is not 4 KiB aligned (map takes whole pages)");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100000,100,unmap\n"),
            f + "2: size: 100 is not a multiple of 4096 in 4096..64 GiB");
  EXPECT_EQ(error_of(kHeader + "0,nic0,1,0x100000,68719480832,map\n"),
            f + "2: size: 68719480832 is not a multiple of 4096 in 4096..64 GiB");
}

TEST(TraceFormat, TimesGoingBackwardsAreRefused) {
  EXPECT_EQ(error_of(kHeader + "200,nic0,1,0x100000,64,read\n100.5,nic0,1,0x100000,64,read\n"),
            "iommu_sim_bad_trace.csv:3: time_ns: 100.5 is before the previous record's 200: a "
            "trace must be sorted by time");
}

TEST(TraceFormat, UnknownDevicesAndUnattachedMappingsAreRefusedAgainstThePlatform) {
  const TraceTargets targets{.devices = {"nic0"}, .attached = {{"nic0", 1}}};
  const std::string ok = kHeader + "0,nic0,1,0x100000,64,read\n";
  EXPECT_EQ(error_of(ok + "1,gpu9,1,0x100000,64,read\n", &targets),
            "iommu_sim_bad_trace.csv:3: device: no endpoint named \"gpu9\" in the config "
            "(pcie.endpoints[].name)");
  EXPECT_EQ(error_of(ok + "1,nic0,-,0x100000,4096,map\n", &targets),
            "iommu_sim_bad_trace.csv:3: pasid: nic0 PASID 0 is not attached to an address space "
            "(attach[]): nothing to map");
  EXPECT_EQ(error_of(ok + "1,nic0,1,0x100000,4096,unmap\n", &targets), "");
  // Without a platform only the form is checked.
  EXPECT_EQ(error_of(ok + "1,gpu9,1,0x100000,64,read\n"), "");
}

// A binary trace of `records` after a valid header naming "nic0".
std::string binary_with(const std::string& records) {
  return std::string("IOMMUTRC\1\0\0\0\1\0\0\0\4\0nic0", 22) + records;
}

std::string record_bytes(std::uint8_t op, std::uint8_t device = 0, std::uint8_t reserved = 0) {
  std::string r(32, '\0');
  r[16] = 64;  // size
  r[28] = static_cast<char>(device);
  r[30] = static_cast<char>(op);
  r[31] = static_cast<char>(reserved);
  return r;
}

TEST(TraceFormat, BadBinaryTracesAreRefused) {
  const std::string f = "iommu_sim_bad_trace.bin: ";
  auto bin_error = [](const std::string& bytes) {
    return error_of(bytes, nullptr, "iommu_sim_bad_trace.bin");
  };
  EXPECT_EQ(bin_error("time_ns,device\n"),
            f + "header: bad magic: not an iommu-sim binary trace (expected \"IOMMUTRC\")");
  EXPECT_EQ(bin_error(std::string("IOMMUTRC\2\0\0\0", 12)),
            f + "header: version 2 is not supported (this build reads 1)");
  EXPECT_EQ(bin_error(std::string("IOMMUTRC\1\0\0\0\1\0\0\0\4\0ni", 20)),
            f + "header: truncated: the file ends inside device name 0");
  EXPECT_EQ(bin_error(binary_with(record_bytes(0) + record_bytes(0).substr(0, 20))),
            f + "record 2: truncated: the file ends after 20 of its 32 bytes");
  EXPECT_EQ(bin_error(binary_with(record_bytes(7))),
            f + "record 1: op: 7 is not 0 (read), 1 (write), 2 (map) or 3 (unmap)");
  EXPECT_EQ(bin_error(binary_with(record_bytes(0, 1))),
            f + "record 1: device: index 1 is beyond the header's 1 names");
  EXPECT_EQ(bin_error(binary_with(record_bytes(0, 0, 9))),
            f + "record 1: reserved: byte 31 must be 0");
}

TEST(TraceFormat, AFailedConversionLeavesNoFileBehind) {
  // Refused while reading a CSV for its device names, before any output;
  // and while writing (a binary trace is converted in one pass).
  const std::string bad_csv = write_temp(
      "iommu_sim_bad_convert.csv", kHeader + "0,nic0,1,0x100000,64,read\n0,nic0,1,0x1,0,read\n");
  const std::string bad_bin =
      write_temp("iommu_sim_bad_convert.bin", binary_with(record_bytes(0) + record_bytes(7)));
  const std::string out = (test::temp_dir() / "iommu_sim_converted").string();
  for (const auto& [in, to, message] :
       {std::tuple(bad_csv, out + ".bin",
                   bad_csv + ":3: size: 0 is out of range 1..4096 for a DMA"),
        std::tuple(
            bad_bin, out + ".csv",
            bad_bin + ": record 2: op: 7 is not 0 (read), 1 (write), 2 (map) or 3 (unmap)")}) {
    fs::remove(to);
    try {
      convert_trace(in, to);
      ADD_FAILURE() << "converted " << in;
    } catch (const TraceError& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
    EXPECT_FALSE(fs::exists(to));
    EXPECT_FALSE(fs::exists(to + ".tmp"));
  }
  EXPECT_THROW(convert_trace(bad_csv, out + ".txt"), TraceError);  // neither .csv nor .bin
}

}  // namespace
}  // namespace iommu_sim

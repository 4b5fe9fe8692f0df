#include "io/volume_io.h"

#include <algorithm>
#include <cmath>

#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkGDCMImageIOFactory.h>
#include <itkMetaImageIOFactory.h>
#include <itkMultiThreaderBase.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>

#include "core/file_util.h"
#include "core/threads.h"
#include "io/itk_bridge.h"
#include "io/segmentation.h"

namespace amdrn::io {
namespace {

void ConfigureItk() {
  static bool once = [] {
    // Explicit registration: amdrn does not use ITK_USE_FILE's generated factory list.
    itk::NiftiImageIOFactory::RegisterOneFactory();
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
    itk::GDCMImageIOFactory::RegisterOneFactory();
    AddThreadCountHook([](int threads) {
      itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
      itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(std::max(threads, 1));
    });
    return true;
  }();
  (void)once;
}

template <typename T>
StatusOr<typename ItkImage<T>::Pointer> ReadItkFile(const std::string& path) {
  ConfigureItk();
  if (!PathExists(path)) return NotFoundError("expected a volume file at " + path + ", found nothing");
  auto reader = itk::ImageFileReader<ItkImage<T>>::New();
  reader->SetFileName(path);
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    return DataLossError("cannot read " + path + " as a 3D volume: " + e.GetDescription());
  }
  typename ItkImage<T>::Pointer image = reader->GetOutput();
  return image;
}

template <typename T>
Status WriteItkFile(typename ItkImage<T>::Pointer image, const std::string& path, bool compress) {
  ConfigureItk();
  return WriteAtomicWith(path, [&](const std::string& temp) {
    auto writer = itk::ImageFileWriter<ItkImage<T>>::New();
    writer->SetFileName(temp);
    writer->SetInput(image);
    writer->SetUseCompression(compress);
    try {
      writer->Update();
    } catch (const itk::ExceptionObject& e) {
      return InvalidArgumentError("cannot write " + path + ": " + e.GetDescription());
    }
    return OkStatus();
  });
}

}  // namespace

bool IsWritableVolumePath(const std::string& path) {
  std::string ext = FileExtension(path);
  return ext == ".nii" || ext == ".nii.gz" || ext == ".nrrd" || ext == ".seg.nrrd" ||
         ext == ".nhdr" || ext == ".mha" || ext == ".mhd";
}

StatusOr<ImageF> ReadImage(const std::string& path, const ReadOptions& options) {
  ConfigureItk();
  if (LooksLikeDicom(path)) {
    DicomQcRecord qc;
    auto image = ReadDicom(path, options.dicom, &qc);
    if (options.dicom_qc) *options.dicom_qc = qc;
    return image;
  }
  if (IsDirectory(path)) {
    return NotFoundError("expected a volume file or a DICOM folder at " + path +
                         ", found a folder without DICOM files");
  }
  AMDRN_ASSIGN_OR_RETURN(auto image, ReadItkFile<float>(path));
  return FromItk<float>(image.GetPointer());
}

StatusOr<VolumeInfo> ReadVolumeInfo(const std::string& path, const ReadOptions& options) {
  ConfigureItk();
  VolumeInfo info;
  if (LooksLikeDicom(path)) {
    DicomQcRecord qc;
    auto image = ReadDicom(path, options.dicom, &qc);
    if (options.dicom_qc) *options.dicom_qc = qc;
    if (!image.ok()) return image.status();
    info.geometry = image->geometry();
    info.format = "DICOM";
    info.component_type = "float32 (rescaled)";
    info.modality = qc.modality;
    info.manufacturer = qc.manufacturer;
    return info;
  }
  if (!PathExists(path)) return NotFoundError("expected a volume file at " + path + ", found nothing");
  auto io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::ImageIOFactory::FileModeEnum::ReadMode);
  if (!io) return DataLossError("expected a NIfTI, NRRD, MHA or DICOM volume, found " + path + " in no known format");
  try {
    io->SetFileName(path);
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    return DataLossError("cannot read the header of " + path + ": " + e.GetDescription());
  }
  if (io->GetNumberOfDimensions() > 3 || io->GetNumberOfDimensions() < 2) {
    return InvalidArgumentError("expected a 3D volume, found " + std::to_string(io->GetNumberOfDimensions()) +
                                " dimensions in " + path);
  }
  for (unsigned c = 0; c < 3; ++c) {
    bool has = c < io->GetNumberOfDimensions();
    info.geometry.size[c] = has ? static_cast<int64_t>(io->GetDimensions(c)) : 1;
    info.geometry.spacing_mm[c] = has ? io->GetSpacing(c) : 1.0;
    info.geometry.origin_lps[c] = has ? io->GetOrigin(c) : 0.0;
    for (unsigned r = 0; r < 3; ++r) {
      bool in = has && r < io->GetNumberOfDimensions();
      info.geometry.direction[r * 3 + c] = in ? io->GetDirection(c)[r] : (r == c ? 1.0 : 0.0);
    }
  }
  std::string name = io->GetNameOfClass();
  info.format = name.find("Nifti") != std::string::npos  ? "NIfTI"
                : name.find("Nrrd") != std::string::npos ? "NRRD"
                : name.find("Meta") != std::string::npos ? "MetaImage"
                                                         : name;
  info.component_type = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
  info.num_components = static_cast<int>(io->GetNumberOfComponents());
  return info;
}

StatusOr<LabelMap> ReadLabelMap(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(auto image, ReadItkFile<float>(path));
  const float* in = image->GetBufferPointer();
  size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i) {
    float v = in[i];
    if (!(v >= 0 && v <= 255 && v == std::floor(v))) {
      return InvalidArgumentError("expected integer labels 0-255 in " + path + ", found value " +
                                  std::to_string(v));
    }
  }
  return FromItk<uint8_t>(image.GetPointer());
}

Status WriteImage(const ImageF& image, const std::string& path, const WriteOptions& options) {
  if (!IsWritableVolumePath(path)) {
    return InvalidArgumentError("expected an output ending in .nii, .nii.gz, .nrrd, .mha or .mhd, found " + path);
  }
  switch (options.pixel_type) {
    case PixelType::kFloat32:
      return WriteItkFile<float>(ToItk<float>(image), path, options.compress);
    case PixelType::kInt16: {
      ImageF rounded = image;
      for (float& v : rounded.voxels()) v = std::clamp(std::round(v), -32768.0f, 32767.0f);
      return WriteItkFile<int16_t>(ToItk<int16_t>(rounded), path, options.compress);
    }
    case PixelType::kUInt8: {
      ImageF rounded = image;
      for (float& v : rounded.voxels()) v = std::clamp(std::round(v), 0.0f, 255.0f);
      return WriteItkFile<uint8_t>(ToItk<uint8_t>(rounded), path, options.compress);
    }
  }
  return InternalError("unknown pixel type");
}

Status WriteLabelMap(const LabelMap& labels, const std::string& path) {
  if (FileExtension(path) == ".seg.nrrd") return WriteSegNrrd(labels, path, DefaultSegments(labels));
  if (!IsWritableVolumePath(path)) {
    return InvalidArgumentError("expected an output ending in .nii, .nii.gz, .nrrd, .mha or .mhd, found " + path);
  }
  return WriteItkFile<uint8_t>(ToItk<uint8_t>(labels), path, true);
}

}  // namespace amdrn::io

// Conversions between amdrn volumes and ITK images (geometry copied exactly), for code
// inside io/ and other modules that call ITK filters.
#ifndef AMDRN_IO_ITK_BRIDGE_H_
#define AMDRN_IO_ITK_BRIDGE_H_

#include <itkImage.h>

#include "core/volume.h"

namespace amdrn::io {

template <typename T>
using ItkImage = itk::Image<T, 3>;

template <typename T>
void CopyGeometryToItk(const Geometry& g, ItkImage<T>* image) {
  typename ItkImage<T>::RegionType region;
  typename ItkImage<T>::SpacingType spacing;
  typename ItkImage<T>::PointType origin;
  typename ItkImage<T>::DirectionType direction;
  for (int c = 0; c < 3; ++c) {
    region.SetSize(c, static_cast<itk::SizeValueType>(g.size[c]));
    region.SetIndex(c, 0);
    spacing[c] = g.spacing_mm[c];
    origin[c] = g.origin_lps[c];
    for (int r = 0; r < 3; ++r) direction(r, c) = g.direction[r * 3 + c];
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
}

template <typename T>
Geometry GeometryFromItk(const ItkImage<T>* image) {
  Geometry g;
  auto region = image->GetLargestPossibleRegion();
  for (int c = 0; c < 3; ++c) {
    g.size[c] = static_cast<int64_t>(region.GetSize(c));
    g.spacing_mm[c] = image->GetSpacing()[c];
    g.origin_lps[c] = image->GetOrigin()[c];
    for (int r = 0; r < 3; ++r) g.direction[r * 3 + c] = image->GetDirection()(r, c);
  }
  return g;
}

// Deep copy into a new ITK image of pixel type T (values cast).
template <typename T, typename S>
typename ItkImage<T>::Pointer ToItk(const Volume<S>& volume) {
  auto image = ItkImage<T>::New();
  CopyGeometryToItk(volume.geometry(), image.GetPointer());
  image->Allocate();
  T* out = image->GetBufferPointer();
  const S* in = volume.data();
  for (int64_t n = 0; n < volume.NumVoxels(); ++n) out[n] = static_cast<T>(in[n]);
  return image;
}

// Deep copy of a buffered ITK image (its buffered region must start at index 0).
template <typename S, typename T>
Volume<S> FromItk(const ItkImage<T>* image) {
  Volume<S> volume(GeometryFromItk(image));
  const T* in = image->GetBufferPointer();
  S* out = volume.data();
  for (int64_t n = 0; n < volume.NumVoxels(); ++n) out[n] = static_cast<S>(in[n]);
  return volume;
}

}  // namespace amdrn::io

#endif  // AMDRN_IO_ITK_BRIDGE_H_

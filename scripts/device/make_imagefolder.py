"""An ImageFolder of N symlinks over a few JPEGs, for check.sh's .beton (12800 `ln -s` calls
would take seconds): image i is DST/class<i % C>/<i>.JPEG, pointing at JPEG i % (number of JPEGs).

  python3 scripts/device/make_imagefolder.py SRC_DIR DST_DIR N C
"""
import os
import sys


def main():
    src, dst, n, classes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    images = sorted(os.path.abspath(os.path.join(src, f)) for f in os.listdir(src) if f.endswith(".JPEG"))
    if not images:
        sys.exit(f"make_imagefolder: no .JPEG files in {src}")
    for c in range(classes):
        os.makedirs(os.path.join(dst, f"class{c}"), exist_ok=True)
    for i in range(n):
        os.symlink(images[i % len(images)], os.path.join(dst, f"class{i % classes}", f"{i:06d}.JPEG"))
    print(f"{dst}: {n} links to {len(images)} JPEGs in {classes} classes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a synthetic Speckle model for the viewer benchmarks: OBJECTS boxes-with-bumps, each a
mesh of about TRIANGLES/OBJECTS triangles (a subdivided grid folded over a box), in a few render
materials, under one root. Output: a JSON array, root first, like `GET /objects/:p/:root`.

usage: viewer_model.py OBJECTS TRIANGLES > model.json
"""
import hashlib
import json
import math
import sys


def ident(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:32]


def grid_mesh(ox, oy, size, cells, colour):
    """A wavy square sheet of cells×cells quads (2 triangles each), lifted into a dome."""
    vertices = []
    for j in range(cells + 1):
        for i in range(cells + 1):
            u, v = i / cells, j / cells
            z = size * 0.6 * math.sin(math.pi * u) * math.sin(math.pi * v)
            vertices += [round(ox + u * size, 4), round(oy + v * size, 4), round(z, 4)]
    faces = []
    row = cells + 1
    for j in range(cells):
        for i in range(cells):
            a = j * row + i
            faces += [3, a, a + 1, a + row + 1, 3, a, a + row + 1, a + row]
    mesh = {
        "speckle_type": "Objects.Geometry.Mesh",
        "units": "m",
        "vertices": vertices,
        "faces": faces,
        "renderMaterial": {
            "speckle_type": "Objects.Other.RenderMaterial",
            "diffuse": colour,
            "opacity": 1,
        },
    }
    mesh["id"] = ident(mesh)
    return mesh


def main():
    objects, triangles = int(sys.argv[1]), int(sys.argv[2])
    per_object = max(2, triangles // objects)
    cells = max(1, round(math.sqrt(per_object / 2)))
    colours = [-3100000, -16744320, -7650029, -12156236, -5103070, -14774017]
    side = math.ceil(math.sqrt(objects))
    children = []
    for n in range(objects):
        x, y = (n % side) * 1.2, (n // side) * 1.2
        children.append(grid_mesh(x, y, 1.0, cells, colours[n % len(colours)]))
    root = {
        "speckle_type": "Base",
        "name": f"{objects} objects, {objects * cells * cells * 2} triangles",
        "@elements": [{"referencedId": c["id"], "speckle_type": "reference"} for c in children],
        "__closure": {c["id"]: 1 for c in children},
        "totalChildrenCount": len(children),
    }
    root["id"] = ident(root)
    sys.stdout.write("[")
    sys.stdout.write(json.dumps(root))
    for c in children:
        sys.stdout.write(",")
        sys.stdout.write(json.dumps(c))
    sys.stdout.write("]\n")


if __name__ == "__main__":
    main()

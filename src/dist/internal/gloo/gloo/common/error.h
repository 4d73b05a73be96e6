#pragma once
// Stand-in for Gloo's header (see ../README.md): c10d's ProcessGroupGloo.hpp includes it, we use nothing from it.

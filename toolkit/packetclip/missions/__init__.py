"""Missions from words, on the device (docs/missions.md).

    from packetclip.missions import file, prototypes, score
    ms = file.load_missions("missions.yaml")                       # or file.add_mission(...)
    protos = prototypes.compile_prototypes(ms, bundle, teacher="runs/teacher")
    push(board, bundle_dir, protos)                                # PROTOTYPES over the link, no reflash
    s, best = score.scores(int8_outputs, protos.rows, start, zero_point)   # what the device computes

The student (`packetclip distill RUN --embedding`) outputs an int8 embedding in a fixed projection
of the teacher's flow embedding (distill/embedding.py); prototypes are the teacher's text
embeddings of the missions' words in the same projection, int8; the device scores each flow
against every prototype by integer cosine and returns the best mission and all scores with RESULT.
"""
